"""A trailing slash redirects to the page without it, and never names the Host header's host."""


def test_a_trailing_slash_redirects_without_naming_a_host(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        headers = {"Host": "evil.example"}
        page = browser.get("/sign-in/?reason=expired", headers=headers)
        assert page.status_code == 307
        assert page.headers["location"] == "/sign-in?reason=expired"
        assert browser.get("/dashboard//", headers=headers).headers["location"] == "/dashboard"
        unknown = browser.get("/no-such-page/", headers=headers)
        assert unknown.status_code == 404
        assert "Page not found" in unknown.text
