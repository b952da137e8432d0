from allauth.account.adapter import DefaultAccountAdapter


class StaffOnlyAccountAdapter(DefaultAccountAdapter):
    """hullreach has no public sign-up: staff accounts are created by an administrator."""

    def is_open_for_signup(self, request):
        return False
