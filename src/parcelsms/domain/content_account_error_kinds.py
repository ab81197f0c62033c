"""Catalogued errors of templates, senders, the account and the service (part of the catalogue).

The order here is the order of ``docs/errors.md``; :data:`CONTENT_ACCOUNT_ERROR_KINDS`
follows the request errors in :data:`parcelsms.domain.error_catalogue.CATALOGUE`.
"""

from __future__ import annotations

from parcelsms.domain.error_kind import ErrorKind

CONTENT_ACCOUNT_ERROR_KINDS: tuple[ErrorKind, ...] = (
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
        "default_webhook_endpoint",
        409,
        "The default webhook endpoint cannot be deleted.",
        "Its secret signs the webhooks sent to messages' own `callback_url`. Disable it "
        "(`PUT /v1/webhooks/endpoints/{id}` with `enabled: false`) to stop its webhooks, or "
        "replace its URL and secret with `POST /v1/webhooks`.",
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
        "invalid_route",
        422,
        "The route cannot be used.",
        "An operator's route (`/admin/v1/routes`) names a channel that is not configured, "
        "lists a channel twice, has a country code without a numbering plan, a prefix that "
        "is not `+` and digits, or weights that do not match its channels; or a reorder does "
        "not name every stored route once. `field` names the part (`channels`, `weights`, "
        "`prefixes[0]`, `ids`); `docs/routing.md` describes routes.",
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
