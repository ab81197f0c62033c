"""``/v1/balance``: what the account can spend."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import schemas
from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.representations import balance_out
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.ports import AccountStore


class AccountEndpoints:
    """Handlers of the account routes."""

    def __init__(self, accounts: AccountStore, authenticator: Authenticator) -> None:
        self._accounts = accounts
        self._auth = authenticator

    async def get_balance(self, request: Request) -> Response:
        """The account's available and reserved balance, read fresh (never cached)."""
        caller = await self._auth.authenticate(request)
        account = await self._accounts.get_account(caller.account_id)
        if account is None:
            raise error("unauthorized", "The API key's account does not exist.")
        return JsonResponse(balance_out(account))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/balance",
                handler=self.get_balance,
                summary="Get the balance",
                description="`available` is what new messages can spend; `reserved` is held "
                "by accepted messages until they are settled or refunded.",
                tag="account",
                response=schemas.Balance,
                scope="billing:read",
            ),
        ]
