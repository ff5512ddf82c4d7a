"""Generated news for benchmarks: varied, real-looking articles (names, places, dates, events)
wrapped in heavy page boilerplate, and feeds that list them. Deterministic for a seed."""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

PEOPLE = [
    "Antonio Guterres", "Khalifa Haftar", "Fayez al-Sarraj", "Emmanuel Macron", "Olaf Scholz", "Joe Biden",
    "Xi Jinping", "Vladimir Putin", "Volodymyr Zelenskiy", "Recep Tayyip Erdogan", "Narendra Modi",
    "Cyril Ramaphosa", "Abiy Ahmed", "Luiz Inacio Lula da Silva", "Javier Milei", "Justin Trudeau",
    "Anthony Albanese", "Fumio Kishida", "Yoon Suk Yeol", "Shehbaz Sharif", "Benjamin Netanyahu",
    "Mahmoud Abbas", "Abdel Fattah al-Sisi", "Mohammed bin Salman", "Ebrahim Raisi", "Josep Borrell",
    "Ursula von der Leyen", "Jens Stoltenberg", "Kristalina Georgieva", "Tedros Adhanom Ghebreyesus",
    "Bola Tinubu", "William Ruto", "Paul Kagame", "Felix Tshisekedi", "Assimi Goita", "Abdel Fattah al-Burhan",
    "Mohamed Hamdan Dagalo", "Aguila Saleh", "Abdulhamid Dbeibah", "Kais Saied", "Abdelmadjid Tebboune",
]
ORGS = [
    ("United Nations", "UN"), ("European Union", "EU"), ("African Union", "AU"), ("World Health Organization", "WHO"),
    ("International Monetary Fund", "IMF"), ("North Atlantic Treaty Organization", "NATO"),
    ("World Food Programme", "WFP"), ("Libyan National Army", "LNA"), ("Rapid Support Forces", "RSF"),
    ("Economic Community of West African States", "ECOWAS"), ("International Criminal Court", "ICC"),
    ("Organization of the Petroleum Exporting Countries", "OPEC"), ("Red Cross", ""), ("World Bank", ""),
    ("Reuters", ""), ("Amnesty International", ""), ("Human Rights Watch", ""), ("Doctors Without Borders", "MSF"),
]
PLACES = [
    "Tripoli", "Benghazi", "Misrata", "Libya", "Tunisia", "Egypt", "Cairo", "Khartoum", "Sudan", "Darfur",
    "Addis Ababa", "Ethiopia", "Nairobi", "Kenya", "Kinshasa", "Goma", "Bamako", "Mali", "Niamey", "Niger",
    "Abuja", "Nigeria", "Paris", "France", "Berlin", "Germany", "Brussels", "Geneva", "Moscow", "Russia",
    "Kyiv", "Ukraine", "Odesa", "Ankara", "Istanbul", "Turkey", "Tehran", "Iran", "Baghdad", "Iraq",
    "Damascus", "Syria", "Beirut", "Lebanon", "Riyadh", "Saudi Arabia", "Doha", "Qatar", "Islamabad",
    "Pakistan", "New Delhi", "India", "Beijing", "China", "Seoul", "Tokyo", "Washington", "Brasilia",
    "Caracas", "Venezuela", "Buenos Aires", "Canberra",
]
TITLES = ["President", "Prime Minister", "Foreign Minister", "commander", "Secretary-General", "envoy", "spokesman"]
DAYS = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday",
        "last week", "last month", "earlier this year", "overnight", "late on Thursday"]

EVENT_SENTENCES = [
    "{p1} met {p2} in {place} {day} to discuss a ceasefire and the return of displaced families.",
    "{org} accused {p2} of blocking aid convoys bound for {place}, a charge his office denied.",
    "Forces loyal to {p1} attacked positions held by {org_acr} near {place} {day}, killing at least {n} people.",
    "{p1} said {org} would provide {n} million dollars in humanitarian aid to {place}.",
    "Troops withdrew from the outskirts of {place} {day} after {n} days of heavy fighting.",
    "{org} imposed sanctions on {n} companies linked to {p2}, citing violations of an arms embargo.",
    "Thousands of people protested in {place} {day} against rising food prices and power cuts.",
    "{p1} threatened to expel the {org_acr} mission from {place} if its mandate was not changed.",
    "{p2} rejected a proposal by {org} to hold elections in {place} before the end of the year.",
    "{p1} and {p2} signed an agreement in {place} {day} to reopen the border crossing.",
    "{org} called on {p2} to release political prisoners held in {place}.",
    "{p1} praised {org} for its mediation efforts in {place}.",
    "Police arrested {n} journalists in {place} {day}, according to {org}.",
    "{p1} deployed additional troops and armoured vehicles to {place} {day}.",
    "{p2} agreed to resume talks with {org} on a power-sharing deal, {title} {p1} said.",
    "The {org_acr} did not succeed in taking the airport in {place}, residents said.",
]
FILLER = [
    "Residents described long queues at bakeries and petrol stations across the city.",
    "The humanitarian situation has deteriorated sharply since the start of the year, aid agencies say.",
    "Analysts said the move was likely to deepen divisions within the ruling coalition.",
    "Diplomats said negotiations were expected to continue for several more weeks.",
    "Prices of basic goods have more than doubled over the past twelve months.",
    "The government has repeatedly promised reforms but critics say little has changed on the ground.",
    "Hospitals in the region reported shortages of medicine, fuel and clean water.",
    "Officials declined to give further details, citing the sensitivity of the talks.",
    "Opposition groups boycotted the session, saying the process lacked legitimacy.",
    "Satellite images showed damage to several buildings near the port.",
    "The central bank raised interest rates for the third time this year to curb inflation.",
    "Local media reported sporadic gunfire in the southern districts through the night.",
    "Farmers said the drought had destroyed much of the harvest in the north.",
    "A spokesman for the interior ministry said an investigation had been opened.",
]


@dataclass(frozen=True)
class GeneratedArticle:
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def generate_articles(n: int, seed: int = 7, min_words: int = 300, max_words: int = 2000) -> list[GeneratedArticle]:
    """n articles of min_words..max_words words each."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, 6, 0)
    articles = []
    for i in range(n):
        target = rnd.randint(min_words, max_words)
        paragraphs, words = [], 0
        while words < target:
            sentences = [_sentence(rnd) for _ in range(rnd.randint(2, 5))]
            paragraph = " ".join(sentences)
            paragraphs.append(paragraph)
            words += len(paragraph.split())
        lead = rnd.choice(PEOPLE)
        title = f"{lead.split()[-1]} {rnd.choice(['meets', 'warns', 'accuses', 'backs', 'rejects'])} " \
                f"{rnd.choice(PLACES)} {rnd.choice(['leaders', 'rivals', 'envoys', 'protesters'])} ({i})"
        articles.append(GeneratedArticle(f"story-{i:06d}", title, paragraphs,
                                         start + timedelta(minutes=17 * i)))
    return articles


def _sentence(rnd: random.Random) -> str:
    if rnd.random() < 0.45:
        org, acronym = rnd.choice(ORGS)
        p1, p2 = rnd.sample(PEOPLE, 2)
        return rnd.choice(EVENT_SENTENCES).format(
            p1=p1, p2=p2, org=org, org_acr=acronym or org, place=rnd.choice(PLACES), day=rnd.choice(DAYS),
            n=rnd.randint(2, 90), title=rnd.choice(TITLES))
    return rnd.choice(FILLER)


def page_html(article: GeneratedArticle, site_name: str = "The Daily Meridian") -> str:
    """The article inside a heavy news page: menus, scripts, styles, sidebars, comments, footer."""
    esc = html.escape
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a><ul>' +
                  "".join(f'<li><a href="/section/{i}/{j}">Topic {i}.{j}</a></li>' for j in range(6)) + "</ul></li>"
                  for i in range(12))
    related = "".join(f'<li><a href="/news/related-{k}"><img src="/img/{k}.jpg" alt=""><span>Related headline number {k} '
                      f"about events elsewhere today</span></a></li>" for k in range(20))
    comments = "".join(f'<div class="comment"><span class="user">reader{k}</span><p>Comment {k}: I think this is '
                       f"an important story and everyone should read it carefully.</p></div>" for k in range(8))
    footer = "".join(f'<a href="/footer/{k}">Footer link {k}</a> ' for k in range(40))
    script = "<script>" + "window.__state = {" + ",".join(f'"k{k}": {k}' for k in range(400)) + "};</script>"
    style = "<style>" + "".join(f".c{k}{{margin:{k}px;padding:{k % 7}px}}" for k in range(300)) + "</style>"
    body = "\n".join(f"<p>{esc(p)}</p>" for p in article.paragraphs)
    published = article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(article.title)} | {site_name}</title>
<meta property="og:title" content="{esc(article.title)}"><meta property="article:published_time" content="{published}">
<link rel="canonical" href="/news/{article.slug}">{style}{script}</head><body>
<div class="cookie-banner"><p>We use cookies and similar technologies to improve your experience and to show you
personalised advertising. By continuing you accept our cookie policy.</p><button>Accept</button></div>
<header><a class="logo" href="/">{site_name}</a><nav><ul>{nav}</ul></nav>
<form class="search"><input name="q" placeholder="Search"></form></header>
<div class="ad-slot">Advertisement</div>
<main><article><h1>{esc(article.title)}</h1>
<div class="byline">By <a href="/authors/desk">Foreign Desk</a> | <time datetime="{published}">{published[:10]}</time></div>
<div class="share"><a href="#">Share on Facebook</a><a href="#">Share on X</a><a href="#">Email</a></div>
<figure><img src="/img/lead.jpg" alt="Lead photo"><figcaption>Lead photo of the scene. Photo: Agency</figcaption></figure>
<div class="article-body">{body}</div>
<div class="newsletter"><h3>Sign up for our daily briefing</h3><p>Get the top stories in your inbox every morning.</p></div>
</article>
<aside class="related"><h3>Related stories</h3><ul>{related}</ul></aside>
<section class="comments"><h3>Comments</h3>{comments}</section></main>
<footer>{footer}<p>© 2024 {site_name}. All rights reserved.</p></footer>
{script}</body></html>"""


def rss(title: str, base: str, articles: list[GeneratedArticle]) -> str:
    from email.utils import format_datetime
    from datetime import timezone

    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}/news/{a.slug}?utm_source=rss</link>"
        f"<guid>{base}/news/{a.slug}</guid><pubDate>{format_datetime(a.published.replace(tzinfo=timezone.utc), usegmt=True)}"
        f"</pubDate><description>{html.escape(a.paragraphs[0][:300])}</description></item>" for a in articles)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
            f"<link>{base}/</link><description>generated</description>{items}</channel></rss>")
