"""Billing: the sender's balance, ledger, packages, alerts, notifications and limits, and the
operator's prices, channel costs, account billing and margins report.

* :mod:`.schemas` — every billing Struct and how billing records become them;
* :mod:`.ledger_query` — the ledger's query string and its CSV rows;
* :mod:`.endpoints` — the sender's routes (``/v1/balance``, ``/v1/ledger``, …);
* :mod:`.admin_prices` — ``/admin/v1/prices`` and ``/admin/v1/channel_costs``;
* :mod:`.admin_account_billing` — an account's packages, billing settings, limits, ledger;
* :mod:`.admin_reports` — ``/admin/v1/reports/margins``.
"""
