"""What every page needs to know about the user: which parts of the app are theirs."""

from __future__ import annotations


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from processes import roles as role_definitions

    held = role_definitions.roles_held(user)  # the same answer as /api/v1/me/'s "acts_as"
    return {
        "nav": {
            "employee": held[role_definitions.EMPLOYEE],
            "rater": held[role_definitions.RATER],
            "forum": held[role_definitions.FORUM] or held[role_definitions.PREDICATE_SETTER],
            "ratifying": held[role_definitions.RATIFYING_OFFICIAL],
            "hr": held[role_definitions.HR],
        },
        "me_employee": getattr(user, "employee", None),
    }
