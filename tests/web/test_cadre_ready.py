"""Every page a role reaches, in Chinese and in English: one layout, one menu per role, no key.

The pages are found the way a person finds them: from the home page, following the menu and the
links of each page (no download, no log-out), for each role. In Chinese every page must be free
of English words (an untranslated label), raw rule or state keys, and "(english)" brackets; in
English the work lists' chips must be in English where the rule registry has English labels.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from django.urls import Resolver404, resolve

from fupin.accounts.scoping import CAPABILITIES, Capability
from fupin.engine import policy as engine_policy
from fupin.engine import rules as R
from fupin.monitoring import workflow
from fupin.monitoring.models import State
from tests.regions import VILLAGE_A
from tests.scopes import EVERYWHERE
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db

ROLES = ("village", "town", "county", "analyst", "steward", "admin")
# Not pages: files, actions, the language switch.
SKIP = re.compile(r"/(export|download|logout|i18n)/|\.pdf$|\.xlsx$|/admin/|/api/|/static/|/progress/")
PER_URL_NAME = 6          # at most this many pages of one kind (work-list chips, years …) per role
# Words a Chinese page may contain: the language switch, file types, and formats shown as such.
ALLOWED_WORDS = {"English", "PDF", "Excel", "xlsx", "csv", "parquet", "zip", "CSV", "Parquet", "YYYY", "MM"}
EN_BRACKET = re.compile(r"[（(]\s*[A-Za-z][A-Za-z ,;:'/-]*[)）]")
FILE_NAME = re.compile(r"\b[\w./-]+\.(?:md|toml|xlsx|csv|pdf)\b")
CJK = re.compile(r"[\u3400-\u9fff]")


def _rule_keys() -> set[str]:
    keys = {r.key.removesuffix("_elim") for r in R.RULES}
    keys |= set(engine_policy.PARAMETER_LABELS)
    keys |= {s.value for s in State} | set(workflow.STEPS) | {"created", "redeclared"}
    return keys


RULE_KEYS = _rule_keys()


class Page(HTMLParser):
    """The text a person reads (text nodes and labelling attributes) and the page's links."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self.chips: list[str] = []
        self.tags: list[str] = []  # the labels of span.tag (indicators, categories, states on cards)
        self._skip = 0
        self._chip = 0
        self._tag = 0
        self._hidden: list[str] = []  # an aria-hidden subtree (the honeypot field) is not read

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._hidden and tag == self._hidden[0] or not self._hidden and a.get("aria-hidden") == "true":
            self._hidden.append(tag)
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for name in ("aria-label", "placeholder", "alt"):
            if a.get(name):
                self.texts.append(a[name])
        if tag == "span" and ("tag" in (a.get("class") or "").split() or self._tag):
            self._tag += 1
        if tag == "ul" and "chips" in (a.get("class") or ""):
            self._chip = 1
        elif self._chip and tag == "ul":
            self._chip += 1

    def handle_endtag(self, tag):
        if self._hidden and tag == self._hidden[0]:
            self._hidden.pop()
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "ul" and self._chip:
            self._chip -= 1
        if tag == "span" and self._tag:
            self._tag -= 1

    def handle_data(self, data):
        if self._skip or self._hidden or not data.strip():
            return
        self.texts.append(data.strip())
        if self._chip:
            self.chips.append(data.strip())
        if self._tag:
            self.tags.append(data.strip())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def problems_in_chinese(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """English words (but acronyms such as a standard's code, and user names, which are data),
    raw rule/state keys and English brackets in a text of a Chinese page."""
    found = []
    text = FILE_NAME.sub("", text)  # a cited document or file ("rules.md 第3节") is a name
    for word in re.findall(r"[A-Za-z][A-Za-z_]*[A-Za-z]", text):
        if word in RULE_KEYS:
            found.append(f"raw key {word!r}")
        elif word not in ALLOWED_WORDS and not word.isupper() and word not in names:
            found.append(f"English word {word!r}")
    found += [f"English bracket {m!r}" for m in EN_BRACKET.findall(text)]
    return found


@pytest.fixture
def site(assessed):
    """The web tests' registry, assessed, with a lead of VILLAGE_A that went through a step."""
    from fupin.monitoring.clock import now
    from fupin.monitoring.models import Lead, LeadStep
    from tests.web.test_supervision_pages import make_problem

    at = now()
    lead = Lead.objects.within(EVERYWHERE).create(
        channel="engine", state="verified", region_code=VILLAGE_A, household_id="H1", year=YEAR, name="张一",
        id_number="", received_at=at, verify_due=at.date(), decide_due=at.date() + timedelta(days=15),
        category="marginal", risk_types=["no_labour", "serious_illness"],
        evidence={"run": 1, "monitoring_category": "marginal", "risk_factors": "no_labour", "unmet": "food",
                  "per_capita_net_income": 10500.0, "policy": "national"})
    LeadStep.objects.within(EVERYWHERE).create(lead=lead, at=at, actor="", action="created", from_state="",
                                                to_state="new")
    LeadStep.objects.within(EVERYWHERE).create(lead=lead, at=at, actor="cadre_a", action="verify",
                                                from_state="new", to_state="verified", note="入户看过")
    make_problem(VILLAGE_A)  # a ledger problem: the crawl opens its page
    return lead


def crawl(client, limit: int = 70) -> dict[str, tuple[int, str]]:
    """Every page reachable from home by following links: {url: (status, html)}."""
    seen: dict[str, tuple[int, str]] = {}
    per_name: dict[str, int] = {}
    queue = ["/"]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url, follow=True)
        html = response.content.decode() if response.get("Content-Type", "").startswith("text/html") else ""
        final = response.request["PATH_INFO"] + (("?" + response.request["QUERY_STRING"])
                                                 if response.request.get("QUERY_STRING") else "")
        seen[url] = (response.status_code, html)
        seen.setdefault(final, (response.status_code, html))
        base = final.split("?")[0]
        for href in parse(html).links:
            href = urldefrag(href)[0]
            if href.startswith("?"):
                href = base + href
            if not href.startswith("/") or SKIP.search(urlparse(href).path) or href in seen or href in queue:
                continue
            try:
                name = resolve(urlparse(href).path).view_name
            except Resolver404:
                continue
            if name.startswith("declare:"):
                continue  # the public pages have their own test below
            if per_name.get(name, 0) >= PER_URL_NAME:
                continue
            per_name[name] = per_name.get(name, 0) + 1
            queue.append(href)
    return seen


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_each_role_in_chinese_has_no_english_word_raw_key_or_english_bracket(site, client, users,
                                                                                          role):
    client.force_login(users[role])
    pages = crawl(client)
    assert len(pages) > 1 or role == "steward"
    names = frozenset(u.username for u in users.values())
    bad = {}
    for url, (status, html) in pages.items():
        if not html:
            continue
        page = parse(html)
        found = [p for text in page.texts for p in problems_in_chinese(text, names)]
        if found:
            bad[url] = sorted(set(found))[:8]
    assert not bad, bad


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_each_role_shows_the_menu_of_the_role_and_each_link_opens(site, client, users, role):
    client.force_login(users[role])
    pages = crawl(client, limit=25)
    menus = set()
    for url, (status, html) in pages.items():
        assert status == 200, (url, status)
        if html:
            menus.add(tuple(re.findall(r'data-nav="(\w+)"', html)))
    assert len(menus) == 1, menus  # one menu on every page
    menu = menus.pop()
    caps = CAPABILITIES[users[role].role]
    assert ("leads" in menu) == (Capability.READ in caps)
    assert ("households" in menu) == (Capability.READ in caps)
    assert ("match" in menu) == (Capability.MATCH in caps)
    assert ("policy" in menu) == (Capability.POLICY in caps)
    assert ("audit" in menu) == (Capability.AUDIT in caps)
    assert ("analysis" in menu) == (Capability.ANALYSE in caps)
    assert ("jobs" in menu) == bool(caps & {Capability.IMPORT, Capability.ASSESS, Capability.MATCH,
                                              Capability.EXPORT})


def test_pages_show_the_user_region_by_name_with_log_out_and_language_switch(site, cadre_client):
    html = cadre_client.get(f"/monitoring/{site.pk}/").content.decode()
    assert 'id="nav-region" title="500101102201"' in html and "村干部" in html
    assert 'id="logout"' in html and 'id="lang-switch"' in html
    assert 'data-nav="leads"' in html and 'data-nav="worklists"' in html and 'data-nav="jobs"' not in html


def test_lead_pages_name_the_village_state_risks_and_history(site, cadre_client):
    listing = cadre_client.get("/monitoring/?state=verified").content.decode()
    assert 'title="500101102201">' in listing and ">500101102201<" not in listing
    detail = cadre_client.get(f"/monitoring/{site.pk}/").content.decode()
    assert R.label("risk", "no_labour") in detail
    assert not [t for t in parse(detail).texts if "no_labour" in t]
    assert "入户核实（待入户核实 → 已入户核实）" in detail
    assert "收到线索（— → 待入户核实）" in detail


def test_change_history_names_the_import_batch_in_words(site, cadre_client):
    html = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "import batch" not in html and "导入批次" in html


def test_the_public_pages_have_no_english_in_chinese(client):
    for url in ("/declare/", "/declare/lookup/"):
        page = parse(client.get(url).content.decode())
        found = [p for text in page.texts for p in problems_in_chinese(text)]
        assert not found, (url, found)
    assert "因病" in client.get("/declare/").content.decode()


@pytest.mark.parametrize("kind", ["unmet", "unknown", "leads", "quality", "elimination"])
def test_work_list_chips_are_english_on_english_pages(site, client, users, settings, kind):
    client.force_login(users["village"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/worklists/{VILLAGE_A}/?list={kind}&year={YEAR}").content.decode()
    chips = parse(html).chips
    assert chips
    assert not [c for c in chips if CJK.search(c)], chips
    if kind == "unmet":
        assert R.label("indicator", "food", "en") in chips


@pytest.mark.parametrize("role", ["village", "county"])
def test_every_page_in_english_has_english_chips_and_tags(site, client, users, settings, role):
    """Issue 11: in English mode the filter chips and the cards' tags stayed Chinese."""
    client.force_login(users[role])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    pages = crawl(client)
    bad, seen = {}, 0
    for url, (_status, html) in pages.items():
        page = parse(html) if html else None
        if page is None:
            continue
        labels = page.chips + page.tags
        seen += len(labels)
        # A number beside a label ("Q18", counts) is fine; a Chinese label is not.
        chinese = [t for t in labels if CJK.search(t)]
        if chinese:
            bad[url] = sorted(set(chinese))[:8]
    assert seen, "no chip or tag was found: the test would pass on anything"
    assert not bad, bad


def test_every_page_in_chinese_has_chinese_chips_and_tags(site, client, users):
    client.force_login(users["village"])
    bad = {}
    for url, (_status, html) in crawl(client).items():
        if html:
            page = parse(html)
            english = [t for t in page.chips + page.tags if re.search(r"[a-z]{3,}", t) and not CJK.search(t)]
            if english:
                bad[url] = sorted(set(english))[:8]
    assert not bad, bad


def test_a_household_failing_on_income_is_tagged_with_the_english_income_label(site, client, users, settings):
    from fupin.assessments.models import Verdict

    Verdict.objects.within(EVERYWHERE).filter(household_id="H1").update(unmet="income", income="unmet")
    client.force_login(users["village"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/worklists/{VILLAGE_A}/?list=unmet&key=income&year={YEAR}").content.decode()
    tags = parse(html).tags
    assert R.label("indicator", "income", "en") in tags
    assert not [t for t in tags if "above the poverty line" in t], tags


def test_the_role_shows_by_its_label_in_the_page_language(site, client, users, settings):
    client.force_login(users["county"])
    assert "区县干部" in client.get("/", follow=True).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/", follow=True).content.decode()
    assert "County officer" in html and "区县干部" not in html


def test_not_found_and_forbidden_pages_are_chinese_in_the_layout_with_a_way_back(site, client, users):
    client.force_login(users["village"])
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert "页面不存在" in html and 'data-nav="leads"' in html and "回到工作台" in html
    refused = client.get("/jobs/")
    assert refused.status_code == 403
    html = refused.content.decode()
    assert "您无权打开此页面" in html and 'data-nav="households"' in html and "返回" in html
    assert not [p for t in parse(html).texts for p in problems_in_chinese(t)]


def test_server_error_page_is_chinese_with_a_way_back(rf):
    from django.conf import settings as django_settings
    from django.urls import get_resolver

    from fupin.web.views.errors import server_error

    response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and "系统出错了" in html and "回到工作台" in html
    assert get_resolver(django_settings.ROOT_URLCONF).resolve_error_handler(500) is server_error
