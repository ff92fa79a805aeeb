"""Stands in for redshift_connector: records each connection's arguments."""

connections = []


def connect(**kwargs):
    connections.append(kwargs)
    return kwargs
