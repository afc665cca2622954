"""Connection URLs are shown without their passwords."""

from __future__ import annotations

from debtkit.urls import redact_url, scrub, url_secrets


def test_redact_url_hides_the_password() -> None:
    shown = redact_url("postgresql://app:pa55word@db.example:5432/debts")
    assert "pa55word" not in shown
    assert shown == "postgresql://app:***@db.example:5432/debts"


def test_redact_url_hides_query_values_that_may_carry_a_password() -> None:
    shown = redact_url("postgresql://db.example/debts?password=pa55word&sslmode=require")
    assert "pa55word" not in shown
    assert "sslmode" in shown


def test_redact_url_keeps_a_url_without_secrets() -> None:
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_redact_url_does_not_echo_what_it_cannot_parse() -> None:
    assert redact_url("not a url pa55word") == "<unreadable URL>"
    assert "pa55word" not in redact_url("http://[::1:pa55word")


def test_scrub_hides_a_password_as_written_and_as_decoded() -> None:
    secrets = url_secrets("postgresql://app:pa%2Fss@db/x")
    assert scrub("auth failed for pa%2Fss and pa/ss", secrets) == "auth failed for *** and ***"
