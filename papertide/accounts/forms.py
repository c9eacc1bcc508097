from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm


class SignUpForm(UserCreationForm):
    email = forms.EmailField(help_text="For resetting your password; never shown to anyone.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        # With sign-up confirmed by email, the address's owner is told by mail instead (accounts/confirmation.py).
        if not settings.SIGNUP_CONFIRM and get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this address exists; log in, or reset its password.")
        return email


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label="Your password, to confirm", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, user, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class BaseUrlPasswordResetForm(PasswordResetForm):
    """Reset links point at PAPERTIDE_BASE_URL, never at the Host header of the request that asked for them:
    with a permissive ALLOWED_HOSTS, a request sent with `Host: evil.example` mailed the victim a link there."""

    def save(self, **kwargs) -> None:
        base = urlsplit(settings.BASE_URL)
        super().save(**{**kwargs, "domain_override": base.netloc, "use_https": base.scheme == "https"})
