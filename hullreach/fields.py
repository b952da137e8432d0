from django.db import models

from hullreach.crypto import secret_decrypt, secret_encrypt


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted in the database and clear in Python.

    Not searchable or comparable in SQL by design: look rows up by other columns.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return secret_encrypt(value)
