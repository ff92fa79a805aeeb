"""Stands in for pandas: a DataFrame is its rows and columns."""


class DataFrame:
    def __init__(self, rows=None, columns=None):
        self.rows, self.columns = rows or [], columns
