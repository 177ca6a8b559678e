"""``bedplan serve``: the web service and page for bed managers and planners.

The census lives in a database (SQLite by default, PostgreSQL by URL); every decision and
census change is appended to an audit log; suggestions, reallocations, scenarios and plans
over several nights call the same engine functions as the command line
(:mod:`optimiser.planning.suggest`, :mod:`optimiser.planning.run`,
:mod:`optimiser.planning.scenario`, :mod:`optimiser.planning.plan`). Importing this package
needs the ``service`` extra (FastAPI, SQLAlchemy, Alembic, argon2-cffi, ...); nothing else in
bedplan imports it.
"""
