"""Every spelling of a database secret that libpq, SQLAlchemy or Python could print is masked."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest

from driftlint.verify.database import DatabaseURL, Masker

SECRET = "a b+c@d:e/f%g'h"


@pytest.mark.parametrize(
    "spelling",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        quote(SECRET, safe=" +"),  # SQLAlchemy 2's URL.render_as_string
        "a b+c%40d%3Ae%2Ff%g'h",  # SQLAlchemy 1.4's
        quote(SECRET, safe="").replace("%", "%%"),  # as the runner writes it into the Config
        repr(SECRET)[1:-1],
    ],
)
def test_every_spelling_of_a_registered_password_is_masked(spelling):
    mask = Masker()
    mask.add_url(f"postgresql://app:{quote(SECRET, safe='')}@db/app")
    assert mask(f"error near {spelling} here") == "error near *** here"


@pytest.mark.parametrize("key", ["password", "sslpassword", "options"])
def test_secret_query_parameters_are_registered_before_parsing(key):
    mask = Masker()
    mask.add_url(f"postgresql://app@db/app?sslmode=require&{key}={quote_plus(SECRET)}")
    assert SECRET not in mask(f"it was {SECRET}") and quote_plus(SECRET) not in mask(quote_plus(SECRET))


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("host=db password=hunter2 dbname=app", "host=db password=*** dbname=app"),
        ("host=db sslpassword='two words' user=x", "host=db sslpassword=*** user=x"),
        ("postgresql://app@db/app?password=hunter2&sslmode=require", "postgresql://app@db/app?password=***&sslmode=require"),
        ("postgresql://app@db/app?options=-c%20x%3Dy", "postgresql://app@db/app?options=***"),
        ("postgresql://app:hunter2@db/app", "postgresql://app:***@db/app"),
    ],
)
def test_unregistered_credentials_in_urls_and_keyword_strings_are_masked(text, masked):
    assert Masker()(text) == masked


def test_a_url_renders_its_secret_query_values_as_stars_and_connects_with_them():
    url = DatabaseURL.parse("postgresql+asyncpg://app@/app?host=/run/pg&password=p%40ss&options=-c%20x%3D1")
    assert str(url) == "postgresql+asyncpg://app@/app?host=%2Frun%2Fpg&password=***&options=***"
    assert url.psycopg_params() == {"user": "app", "dbname": "app", "host": "/run/pg", "password": "p@ss", "options": "-c x=1"}
    assert "p%40ss" in url.render(hide_password=False)
