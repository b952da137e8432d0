import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

LOGIN_FILE = Path(settings.BASE_DIR) / "var" / "staff-login.txt"


class Command(BaseCommand):
    help = "Create the first staff login for the embedded setup, or print the one already made."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        users = get_user_model()
        if not users.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            users.objects.create_superuser(username, f"{username}@localhost", password)
            LOGIN_FILE.parent.mkdir(exist_ok=True)
            LOGIN_FILE.write_text(f"{username} {password}\n")
            LOGIN_FILE.chmod(0o600)
        if LOGIN_FILE.exists():
            name, password = LOGIN_FILE.read_text().split()
            self.stdout.write(f"Staff login: {name} / {password}")
        else:
            self.stdout.write(f"Staff login: {username} (password set earlier; `manage.py changepassword {username}`)")
