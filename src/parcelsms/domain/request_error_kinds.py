"""Catalogued errors of the request itself and of its recipient (part of the error catalogue).

The order here is the order of ``docs/errors.md``; :data:`REQUEST_ERROR_KINDS` comes first
in :data:`parcelsms.domain.error_catalogue.CATALOGUE`.
"""

from __future__ import annotations

from parcelsms.domain.error_kind import ErrorKind

REQUEST_ERROR_KINDS: tuple[ErrorKind, ...] = (
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
        "The request body must be JSON (or XML, or a form where the operation says so).",
        "Set `Content-Type: application/json` and send a JSON body, or "
        "`Content-Type: application/xml` and an XML body (`docs/api.md`, XML). "
        "`POST /v1/messages` also takes `application/x-www-form-urlencoded`.",
    ),
    ErrorKind(
        "invalid_xml",
        400,
        "The request body is not acceptable XML.",
        "Send a well-formed XML document in UTF-8 (or with an `encoding` declaration) shaped "
        "as `/schema.xsd` describes. Document type declarations (`<!DOCTYPE`), entities and "
        "elements nested more than 32 deep are refused; the message says what was wrong and "
        "where.",
    ),
    ErrorKind(
        "not_acceptable",
        406,
        "The response cannot be given in a format the Accept header allows.",
        "The API answers `application/json` (the default) or `application/xml`. Send "
        "`Accept: application/json`, `Accept: application/xml`, `Accept: */*`, or no Accept "
        "header.",
    ),
    ErrorKind(
        "https_required",
        403,
        "An API key in the query string is accepted only over HTTPS.",
        "A key in the URL travels in the clear over plain HTTP. Call over HTTPS (through a "
        "reverse proxy listed in `[server] trusted_proxies` that sets `X-Forwarded-Proto: "
        "https`), or send the key in the `Authorization` header instead. Consider the key "
        "exposed and revoke it.",
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
    ErrorKind(
        "recipient_opted_out",
        422,
        "The recipient opted out of this account's messages.",
        "The number replied with an opt-out keyword (STOP, UNSUBSCRIBE, ...) or is on the "
        "account's suppression list (`GET /v1/suppressions`). Nothing was charged. The "
        "recipient can opt in again by replying START; remove the number from the list only "
        "when the recipient asked you to.",
    ),
    ErrorKind(
        "recipient_blacklisted",
        422,
        "The operator has blocked this number.",
        "The number is on the platform's global blacklist; no account may text it. Nothing "
        "was charged. Contact the operator if you believe this is wrong.",
    ),
)
