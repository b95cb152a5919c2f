"""Which bank an account belongs to, from its card prefix (the issuer identification number),
so the payroll can write one file per bank. Social-security cards are issued by a handful of
banks in a county; an unknown prefix gets its own file named after the prefix."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The 6-digit issuer prefixes of the banks that issue social-security cards in the demo county.
BANKS = {
    "621700": ("ccb", _("China Construction Bank")),
    "622848": ("abc", _("Agricultural Bank of China")),
    "621282": ("icbc", _("Industrial and Commercial Bank of China")),
    "621799": ("psbc", _("Postal Savings Bank of China")),
    "623166": ("rcc", _("Rural Credit Cooperative")),
}


def bank_for_account(account: str) -> tuple[str, str]:
    """(file code, bank name) for an account number."""
    prefix = (account or "")[:6]
    if prefix in BANKS:
        code, name = BANKS[prefix]
        return code, str(name)
    return f"bin{prefix or 'none'}", str(_("Bank with card prefix %(prefix)s") % {"prefix": prefix or "?"})
