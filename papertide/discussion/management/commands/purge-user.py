"""`papertide manage purge-user NAME`: remove a spammer's comments, upvotes and submissions at once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from papertide.discussion.moderation import purge


class Command(BaseCommand):
    help = ("Remove everything an account put on the site (comments, comment upvotes, paper upvotes, submitted "
            "papers) in one transaction, recount what it changed, then ban and deactivate the account.")

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account's user name (or its email address)")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation")

    def handle(self, *args, username: str, yes: bool, **options):
        users = get_user_model().objects
        user = users.filter(username=username).first() or users.filter(email__iexact=username).first()
        if user is None:
            raise CommandError(f"No account {username!r}: give its user name or email address.")
        if user.is_staff and not yes:
            raise CommandError(f"{user.username} is a staff account: add --yes if you really mean to purge it.")
        if not yes and input(f"Purge everything {user.username} wrote and upvoted, and deactivate them? [y/N] ") \
                .strip().lower() not in ("y", "yes"):
            self.stdout.write("Nothing changed.")
            return
        done = purge(user)
        self.stdout.write(self.style.SUCCESS(
            f"Purged {user.username}: {done.comments} comments, {done.comment_votes} comment upvotes, "
            f"{done.upvotes} paper upvotes, {done.submissions} submitted papers. The account is banned and "
            "deactivated."))
