"""Sign up, log in (rate-limited) and reset a forgotten password by email."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

NEW_READER = {"username": "dora", "email": "dora@example.org",
              "password1": "a long pass phrase", "password2": "a long pass phrase"}


def test_a_new_reader_signs_up_and_is_logged_in(client):
    response = client.post("/accounts/signup/", NEW_READER, follow=True)
    assert response.request["PATH_INFO"] == "/"
    assert 'href="/profile/">dora</a>' in response.content.decode()
    assert get_user_model().objects.get(username="dora").email == "dora@example.org"


def test_sign_up_returns_to_where_the_reader_was(client):
    response = client.post("/accounts/signup/", {**NEW_READER, "next": "/search/?q=dark"})
    assert response["Location"] == "/search/?q=dark"


def test_sign_up_sent_back_to_a_name_goes_to_the_front_page(client):
    response = client.post("/accounts/signup/", {**NEW_READER, "next": "0"})
    assert response["Location"] == "/"


@pytest.mark.parametrize("change, message", [
    ({"password2": "something else"}, "The two password fields didn"),
    ({"password1": "password", "password2": "password"}, "This password is too common."),
    ({"email": "ALICE@example.org"}, "An account with this address exists"),
    ({"username": "alice"}, "A user with that username already exists."),
    ({"email": "not an address"}, "Enter a valid email address."),
])
def test_sign_up_explains_what_is_wrong(client, alice, change, message):
    response = client.post("/accounts/signup/", {**NEW_READER, **change})
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not get_user_model().objects.filter(username="dora").exists()


def _confirm_link(smtp, address: str) -> str:
    (mail,) = smtp.to(address)
    return re.search(r"https://papers\.example\.org(/accounts/signup/confirm/\S+)", mail.get_content())[1]


def test_with_confirmation_a_new_account_works_once_its_link_is_opened(client, smtp, settings):
    settings.SIGNUP_CONFIRM = True
    response = client.post("/accounts/signup/", {**NEW_READER, "next": "/search/?q=dark"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not client.login(username="dora", password="a long pass phrase")  # not before the link
    link = _confirm_link(smtp, "dora@example.org")
    page = client.get(link)  # opening it (as a mail scanner would) changes nothing
    assert "Finish signing up" in page.content.decode() and not get_user_model().objects.get(username="dora").is_active
    finished = client.post(link)
    assert finished["Location"] == "/search/?q=dark"
    assert client.get("/").content.decode().count('href="/profile/">dora</a>') == 1
    client.logout()
    again = client.post(link)
    assert again.status_code == 400 and "This link has been used" in again.content.decode()
    assert client.post(link[:-8] + "damaged/").status_code == 400


def test_with_confirmation_sign_up_does_not_tell_whether_an_address_has_an_account(client, smtp, settings, alice):
    settings.SIGNUP_CONFIRM = True
    taken = client.post("/accounts/signup/", {**NEW_READER, "email": "ALICE@example.org"})
    free = client.post("/accounts/signup/", {**NEW_READER, "username": "eve", "email": "eve@example.org"})
    page = re.compile(r"<main.*</main>", re.S)
    assert taken.status_code == free.status_code == 200
    assert page.search(taken.content.decode())[0] == page.search(free.content.decode())[0]
    (note,) = smtp.to("alice@example.org")
    assert "already has an account, named alice" in note.get_content() and "/accounts/password-reset/" in note.get_content()
    assert not get_user_model().objects.filter(username="dora").exists()
    assert _confirm_link(smtp, "eve@example.org")


def test_an_unconfirmed_sign_up_gives_back_its_name_when_its_link_expires(client, smtp, settings):
    settings.SIGNUP_CONFIRM = True
    client.post("/accounts/signup/", NEW_READER)
    first_link = _confirm_link(smtp, "dora@example.org")
    get_user_model().objects.filter(username="dora").update(date_joined=timezone.now() - dt.timedelta(days=4))
    client.post("/accounts/signup/", {**NEW_READER, "email": "dora.new@example.org"})
    assert get_user_model().objects.get(username="dora").email == "dora.new@example.org"
    assert client.post(first_link).status_code == 400
    assert client.post(_confirm_link(smtp, "dora.new@example.org")).status_code == 302


def test_the_login_page_links_to_sign_up_and_password_reset(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/signup/"' in page and 'href="/accounts/password-reset/"' in page


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200 and "Please enter a correct username and password" in response.content.decode()


def test_login_attempts_are_limited(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "alice", "password": "guess"}).status_code == 200
    # Now even the right password is refused until the window ends.
    response = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 2
    attacker = {"REMOTE_ADDR": "10.0.0.66"}
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "guess"}, **attacker)
    assert client.post("/accounts/login/", {"username": "alice", "password": "guess"}, **attacker).status_code == 429
    owner = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"},
                        REMOTE_ADDR="10.0.0.1")
    assert owner.status_code == 302  # logged in from her own address


def test_one_user_name_tried_from_many_addresses_is_slowed_down(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 2  # per address; ten times that for the name from everywhere
    for n in range(20):
        client.post("/accounts/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR=f"10.0.1.{n}")
    response = client.post("/accounts/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429


def test_sign_ups_from_one_address_are_limited(client, settings):
    settings.LOGIN_RATE_LIMIT = 2
    answers = [client.post("/accounts/signup/", {"username": f"bot{n}", "email": f"bot{n}@example.org",
                                                 "password1": "a long pass phrase", "password2": "a long pass phrase"})
               for n in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Too many new accounts from here" in answers[2].content.decode()


def test_a_successful_login_forgets_earlier_failures(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = 2
    client.post("/accounts/login/", {"username": "alice", "password": "guess"})
    client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"})
    client.logout()
    client.post("/accounts/login/", {"username": "alice", "password": "guess"})
    assert client.post("/accounts/login/", {"username": "alice", "password": "guess"}).status_code == 200


def test_a_forgotten_password_is_reset_by_email(client, alice, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "alice@example.org"}, follow=True)
    assert "Check your inbox" in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.org"] and "Reset your" in mail.subject
    link = re.search(r"http://127.0.0.1:8000(/accounts/reset/\S+/)", mail.body)[1]  # BASE_URL, not the Host
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.request["PATH_INFO"],
                       {"new_password1": "a brand new phrase", "new_password2": "a brand new phrase"}, follow=True)
    assert "Your password is changed" in done.content.decode()
    assert client.login(username="alice", password="a brand new phrase")
    assert "This link has expired" in client.get(link, follow=True).content.decode()  # links work once


def test_a_reset_link_points_at_the_base_url_whatever_host_the_request_names(client, alice, mailoutbox, settings):
    settings.ALLOWED_HOSTS, settings.BASE_URL = ["*"], "https://papers.example.org"
    client.post("/accounts/password-reset/", {"email": "alice@example.org"}, HTTP_HOST="evil.example")
    (mail,) = mailoutbox
    assert "https://papers.example.org/accounts/reset/" in mail.body and "evil.example" not in mail.body


def test_check_deploy_warns_when_any_host_is_accepted(settings):
    from papertide.digests.checks import check_mail_settings

    settings.ALLOWED_HOSTS = ["*"]
    assert "papertide.W003" in {problem.id for problem in check_mail_settings(None)}
    settings.ALLOWED_HOSTS = ["papers.example.org"]
    assert "papertide.W003" not in {problem.id for problem in check_mail_settings(None)}


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert "Check your inbox" in response.content.decode() and mailoutbox == []


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, alice, settings):
    settings.LOGIN_RATE_LIMIT, settings.TRUSTED_PROXIES = 2, 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        client.post("/accounts/login/", {"username": "mallory", "password": "x"},
                    HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    blocked = client.post("/accounts/login/", {"username": "eve", "password": "x"},
                          HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert blocked.status_code == 429
    # Another reader behind the same proxy is not locked out; a forged first entry changes nothing.
    other = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"},
                        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7", **proxy)
    assert other.status_code == 302
