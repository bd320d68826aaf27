"""The pages' forms, one per command: they parse the request (types, ids) and nothing more.

The rules (lengths, choices, who may be invited, a cycle's year) are the services'; a form hands
their refusals back to its fields (``add_service_errors``), so a page and the API refuse the same
input with the same words.
"""
