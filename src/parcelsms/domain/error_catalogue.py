"""The catalogue of errors an API caller can receive.

Every input error parcelsms reports is one :class:`ErrorKind` of :data:`CATALOGUE`: a stable
``code`` clients may branch on, the HTTP status the API answers with, a short ``title`` and a
``description`` that tells a person what went wrong and what to do about it. ``docs/errors.md``
is generated from this table (``scripts/generate_error_docs.py``) and a test keeps the two in
step.

Code raises catalogued errors through :func:`error`; asking for a code that is not in the
catalogue is a programming error and raises ``KeyError`` at once rather than sending a client
an undocumented code.

The API renders a :class:`~parcelsms.errors.CatalogueError` as::

    {"error": {"code": "missing_param", "message": "...", "field": "params.tracking"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from parcelsms.errors import CatalogueError


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """One catalogued error: stable ``code``, ``http_status``, ``title`` and ``description``.

    ``title`` doubles as the default message when the raiser gives none; ``description`` says
    what the caller should do, and is what ``docs/errors.md`` shows.
    """

    code: str
    http_status: int
    title: str
    description: str


_KINDS: tuple[ErrorKind, ...] = (
    # --- the request itself -------------------------------------------------------------
    ErrorKind(
        "invalid_json",
        400,
        "The request body is not valid JSON.",
        "Send a UTF-8 JSON document with `Content-Type: application/json`. The message gives "
        "the position of the first syntax error.",
    ),
    ErrorKind(
        "invalid_request",
        422,
        "The request does not match the expected schema.",
        "A field is missing, has the wrong type or an unknown field was sent. `field` is the "
        "JSON path of the offending value, e.g. `messages[3].to`. Compare the request with the "
        "schema in `/openapi.json`.",
    ),
    ErrorKind(
        "unauthorized",
        401,
        "Missing or invalid API key.",
        "Send `Authorization: Bearer <key>` with an active API key, or sign the request "
        "(`docs/api.md`, signed requests). Keys are shown only once when created; create a "
        "new one if it was lost or revoked.",
    ),
    ErrorKind(
        "forbidden",
        403,
        "This API key may not perform this action.",
        "The key is valid but lacks the scope this endpoint requires (the message names it), "
        "or it was used from an address outside its IP allowlist. Use a key with the "
        "required scope, or call from an allowed network.",
    ),
    ErrorKind(
        "account_suspended",
        403,
        "The account is suspended.",
        "The operator has suspended this account; no messages can be sent. Contact the "
        "operator of this parcelsms installation.",
    ),
    ErrorKind(
        "account_unverified",
        403,
        "This account is not verified yet.",
        "An unverified account may send only to its own confirmed test numbers "
        "(`POST /v1/test_numbers`) and to the simulator's magic numbers (`docs/api.md`). "
        "Submit your company details with `POST /v1/account/verification` and wait for the "
        "operator's review.",
    ),
    ErrorKind(
        "account_state_conflict",
        409,
        "The account's state does not allow this action.",
        "For example: company details cannot be resubmitted once the account is verified, "
        "and a verified account cannot be rejected (suspend it instead). The message says "
        "which state the account is in.",
    ),
    ErrorKind(
        "signature_expired",
        401,
        "The request signature is too old or from the future.",
        "`X-Parcelsms-Timestamp` must be within 5 minutes of the server's clock. Sign each "
        "request when you send it, and keep your clock synchronised (NTP).",
    ),
    ErrorKind(
        "replayed_request",
        401,
        "This signed request was already received.",
        "Each signed request needs a fresh `X-Parcelsms-Nonce`; a nonce is remembered for the "
        "5-minute signing window. To retry, sign the request again with a new nonce (and an "
        "`Idempotency-Key` to make the retry safe).",
    ),
    ErrorKind(
        "resource_limit",
        422,
        "The account has reached a limit for this kind of resource.",
        "The message names the limit (API keys, test numbers). Remove an unused one first, "
        "or ask the operator to raise the limit.",
    ),
    ErrorKind(
        "invalid_code",
        422,
        "The verification code is wrong.",
        "Enter the code from the SMS exactly. The message says how many tries remain before "
        "a new code must be requested.",
    ),
    ErrorKind(
        "code_expired",
        422,
        "The verification code has expired or was used up.",
        "Request a new code by adding the number again with `POST /v1/test_numbers`.",
    ),
    ErrorKind(
        "not_found",
        404,
        "No such resource.",
        "The id does not exist or belongs to another account. Check the id and the API key used.",
    ),
    ErrorKind(
        "method_not_allowed",
        405,
        "This HTTP method is not allowed on this path.",
        "Check the method against the endpoint list in `docs/api.md` or `/openapi.json`.",
    ),
    ErrorKind(
        "idempotency_conflict",
        409,
        "This Idempotency-Key was already used with a different request.",
        "An `Idempotency-Key` identifies exactly one request body. Reuse a key only to retry "
        "the identical request; use a new key for a new message.",
    ),
    ErrorKind(
        "payload_too_large",
        413,
        "The request body is too large.",
        "Send a smaller body. For many messages use `POST /v1/messages/batch` with at most "
        "1,000 items per request.",
    ),
    ErrorKind(
        "unsupported_media_type",
        415,
        "The request body must be JSON.",
        "Set `Content-Type: application/json` and send a JSON body.",
    ),
    ErrorKind(
        "invalid_cursor",
        400,
        "The pagination cursor is not valid.",
        "Pass back the `next_cursor` value from a previous page unchanged, or omit it to "
        "start from the first page.",
    ),
    ErrorKind(
        "invalid_filter",
        400,
        "A query filter is not valid.",
        "Check the query parameter named in `field`: statuses must be catalogued status "
        "names and times ISO 8601 with a time zone.",
    ),
    # --- the recipient ------------------------------------------------------------------
    ErrorKind(
        "invalid_number",
        422,
        "The phone number is not valid.",
        "Send the number in international form with its country code, e.g. `+44 7911 "
        "123456` or `0044 7911 123456`. Spaces, dashes, dots and brackets are accepted; "
        "letters are not.",
    ),
    ErrorKind(
        "not_mobile",
        422,
        "The phone number is not a mobile number.",
        "The number is valid but belongs to a fixed line, toll-free, premium-rate or other "
        "non-mobile range that cannot receive SMS. Ask the recipient for a mobile number.",
    ),
    ErrorKind(
        "unsupported_country",
        422,
        "Messages to this country are not supported.",
        "No route is configured for the recipient's country. Ask the operator to add a "
        "route for it.",
    ),
    # --- templates and their parameters -------------------------------------------------
    ErrorKind(
        "unknown_template",
        422,
        "No such template.",
        "The template id or name does not exist in this account. List templates with "
        "`GET /v1/templates`.",
    ),
    ErrorKind(
        "template_not_approved",
        422,
        "The template is not approved.",
        "Only approved templates can send. Wait for the operator's review, or use an "
        "approved template.",
    ),
    ErrorKind(
        "template_language_unavailable",
        422,
        "The template has no version in the requested language.",
        "Omit `language` to use the template's default, or create the template in that "
        "language and have it approved.",
    ),
    ErrorKind(
        "invalid_template",
        422,
        "The template body is not valid.",
        "Placeholders are written `{name}` with a lowercase name of letters, digits and "
        "underscores (up to 40 characters, starting with a letter). Write `{{` and `}}` for "
        "literal braces. The message gives the position of the problem.",
    ),
    ErrorKind(
        "missing_param",
        422,
        "A template parameter is missing.",
        "Provide a value in `params` for every placeholder of the template; `field` names "
        "the missing one.",
    ),
    ErrorKind(
        "unexpected_param",
        422,
        "A parameter is not used by the template.",
        "Remove the parameter named in `field`, or check its spelling against the "
        "template's placeholders.",
    ),
    ErrorKind(
        "param_too_long",
        422,
        "A template parameter is too long.",
        "Each parameter value may be at most 80 characters. Shorten the value named in `field`.",
    ),
    ErrorKind(
        "invalid_param",
        422,
        "A template parameter value is not allowed.",
        "Parameter values must be strings or numbers without newlines, tabs, other control "
        "characters or braces. Fix the value named in `field`.",
    ),
    ErrorKind(
        "message_too_long",
        422,
        "The rendered message is too long.",
        "The text needs more segments than allowed (10 by default). Shorten the template or "
        "its parameters; characters outside GSM-7 (e.g. emoji, Chinese) make each segment "
        "hold only 67 characters.",
    ),
    ErrorKind(
        "template_has_errors",
        409,
        "The template version has error findings.",
        "The automatic checks found problems carriers act on (see the version's `findings`). "
        "Submit a new version that fixes them; the operator may approve despite them only "
        "when a finding is wrong.",
    ),
    ErrorKind(
        "invalid_state",
        409,
        "The resource is not in a state that allows this action.",
        "Only a draft can be submitted, and only a version or registration pending review can "
        "be approved or rejected. Read the resource's `status` and act on its newest version.",
    ),
    ErrorKind(
        "invalid_sender_id",
        422,
        "The sender id is not allowed.",
        "Use a sender id registered and approved for this account: up to 11 letters and "
        "digits, or a phone number in international form.",
    ),
    ErrorKind(
        "invalid_webhook_url",
        422,
        "The webhook URL is not allowed.",
        "Use an absolute `https://` (or `http://`) URL reachable from the internet. Private "
        "and loopback network addresses, and host names that resolve to them, are refused "
        "(the message names the host and the kind of address). For local development the "
        "operator can allow them with `[webhooks] allow_private_targets = true`.",
    ),
    ErrorKind(
        "invalid_callback_url",
        422,
        "The callback URL is not allowed.",
        "`callback_url` follows the same rules as the webhook URL: absolute http(s) URL to "
        "a public address.",
    ),
    ErrorKind(
        "amount_out_of_range",
        422,
        "The amount is out of range.",
        "Amounts (prices, costs, top-ups, limits, thresholds) and balances are at most "
        "1,000,000,000 currency units (`docs/billing.md`); `field` names the amount. A "
        "top-up that would take a balance past that maximum is refused and changes nothing.",
    ),
    ErrorKind(
        "batch_too_large",
        422,
        "The batch has too many messages.",
        "Send at most 1,000 messages per batch request; split larger sends into several requests.",
    ),
    # --- the account and the service ----------------------------------------------------
    ErrorKind(
        "insufficient_balance",
        402,
        "The account balance is too low for this message.",
        "Top up the account's balance. The price of a message is its segments times the "
        "per-segment price of the recipient's country; `missing` is the amount lacking. "
        "A message a package covers is paid from the package instead (`docs/billing.md`).",
    ),
    ErrorKind(
        "no_package_for_region",
        402,
        "No package covers this message's destination.",
        "The account pays only from packages, and none of its packages that are not "
        "expired covers the recipient's country with enough segments left (`missing_segments` "
        "says how many are missing). `GET /v1/packages` lists them; ask the operator for a "
        "package covering the destination. Domestic packages never pay for international "
        "messages.",
    ),
    ErrorKind(
        "daily_limit_reached",
        429,
        "The account's daily limit is reached.",
        "The account has sent as many messages, or spent as much, today (UTC) as its daily "
        "limit allows; the message names the limit. `Retry-After` gives the seconds until "
        "midnight UTC, when the day's counters start again. `GET /v1/limits` shows the "
        "limits; ask the operator to raise them if the traffic is expected.",
    ),
    ErrorKind(
        "rate_limited",
        429,
        "Too many requests.",
        "Slow down and retry after the number of seconds in the `Retry-After` header. Use "
        "the batch endpoint to send many messages in one request. Per-recipient limits "
        "answer this too (the message says which: messages per hour or per day to one "
        "number, or the same text to the same number within the duplicate window).",
    ),
    ErrorKind(
        "service_unavailable",
        503,
        "The service is temporarily unavailable.",
        "The platform is starting, stopping or overloaded. Retry with backoff; with an "
        "`Idempotency-Key` a retry never creates a second message.",
    ),
    ErrorKind(
        "internal_error",
        500,
        "An internal error occurred; this is a bug in parcelsms.",
        "Nothing in your request should cause this. Retry once; if it persists, report it "
        "to the operator together with the request id given in the message.",
    ),
    ErrorKind(
        "sender_not_allowed",
        422,
        "No allowed sender ID for this destination.",
        "The destination country does not accept the requested sender ID (for example, "
        "alphanumeric sender IDs in the US or Canada), requires it to be registered for that "
        "country, or it is not approved yet; and the account has no approved numeric sender "
        "registered to fall back on there. The message names the country and the reason. "
        "Register a sender ID for that country and have it approved; `docs/countries.md` "
        "lists what each country accepts.",
    ),
)

CATALOGUE: Mapping[str, ErrorKind] = MappingProxyType({kind.code: kind for kind in _KINDS})
"""Every catalogued error by code, in the order documented in ``docs/errors.md``."""


def error(
    code: str,
    message: str | None = None,
    *,
    field: str | None = None,
    **extra: object,
) -> CatalogueError:
    """Build the :class:`CatalogueError` for catalogued ``code`` (to be raised by the caller).

    ``message`` defaults (when ``None`` or empty) to the kind's title. ``field`` names the
    offending input (a JSON path such as ``messages[3].to`` or ``params.tracking``). Keyword
    ``extra`` values travel with the error for the API to add to the body where it
    documents them.

    Raises ``KeyError`` when ``code`` is not catalogued: that is a bug, not an input error.
    """
    kind = CATALOGUE[code]
    return CatalogueError(
        code,
        message or kind.title,
        field=field,
        status=kind.http_status,
        extra=dict(extra),
    )


def internal_error(request_id: str) -> CatalogueError:
    """The ``internal_error`` for an unexpected exception while serving ``request_id``."""
    return error(
        "internal_error",
        f"An internal error occurred; this is a bug in parcelsms. Request id: {request_id}.",
        request_id=request_id,
    )
