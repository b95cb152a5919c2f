from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.areas.tokens import issue_api_token, revoke_api_token
from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "Create or revoke API bearer tokens: `safetynet token create USERNAME` prints the token as its last word."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="issue a token for a user")
        create.add_argument("username")
        create.add_argument("--name", default="")
        create.add_argument("--post", type=int, default=None, help="act through this post (default: the user's first)")
        revoke = sub.add_parser("revoke", help="revoke tokens by their prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, verb, **options):
        try:
            if verb == "create":
                token, secret = issue_api_token(actor=system_actor(), username=options["username"], name=options["name"], post_id=options["post"])
                self.stdout.write(f"Token for {options['username']} (prefix {token.prefix}); it is shown only once: {secret}")
            else:
                n = revoke_api_token(actor=system_actor(), prefix=options["prefix"])
                self.stdout.write(f"Revoked {n} token(s).")
        except SafetyNetError as exc:
            raise CommandError(exc.message)
