"""Stands in for AWS SDK for pandas: read_sql_query returns what it was given."""

import types


def _read_sql_query(sql, con):
    return {"sql": sql, "con": con}


redshift = types.SimpleNamespace(read_sql_query=_read_sql_query)
