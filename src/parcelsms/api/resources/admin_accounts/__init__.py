"""``/admin/v1/accounts``: the operator's view of sender accounts, too big for one module.

* :mod:`.schemas` — the request and response Structs and how an account becomes one;
* :mod:`.endpoints` — the handlers and their route table entries.

An account's billing (packages, settings, limits, ledger) is in
:mod:`parcelsms.api.resources.billing.admin_account_billing`.
"""
