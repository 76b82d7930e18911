//! Every page reachable from the demo portfolio, as administrator, editor and reader, at desktop
//! and phone widths: zero axe-core violations, zero Nu HTML checker errors, no sideways scroll,
//! no console error, no server error. The pages are found by following links, one or two of
//! each route (read from the routers' source), so that a new page is checked as soon as a link
//! leads to it and a route no page links to is reported.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    path::Path,
    process::Command,
    time::Instant,
};

use boussole::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use fantoccini::Locator;
use sqlx::PgPool;

use crate::common::{
    TestServer,
    browser::Browser,
    routes::{normalised, path_of, route_for, route_table},
};

/// Pages visited per GET route and role: a route's second page (another product, one with an
/// empty list) often shows what the first did not.
const PAGES_PER_ROUTE: usize = 2;
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// GET routes that no link leads to, with the reason.
const NOT_LINKED: &[(&str, &str)] = &[
    ("/healthz", "probe for load balancers, not a page"),
    ("/readyz", "probe for load balancers, not a page"),
    ("/api/v1/produits", "JSON API (tests/api.rs)"),
    ("/api/v1/produits/{slug}", "JSON API (tests/api.rs)"),
    (
        "/api/v1/produits/{slug}/indicateurs",
        "JSON API (tests/api.rs)",
    ),
    (
        "/api/v1/portefeuille/indicateurs-en-retard",
        "JSON API (tests/api.rs)",
    ),
    (
        "/api/v1/produits/{slug}/roadmaps",
        "JSON API (tests/api.rs)",
    ),
    ("/api/v1/produits/{slug}/raci", "JSON API (tests/api.rs)"),
    ("/api/v1/portefeuille/risques", "JSON API (tests/api.rs)"),
    (
        "/api/v1/produits/{slug}/vision/versions",
        "JSON API (tests/api.rs)",
    ),
    ("/api/v1/indicateurs/{id}", "JSON API (tests/api.rs)"),
    ("/api/v1/{*rest}", "the JSON API's 404 (tests/api.rs)"),
    (
        "/login/proconnect",
        "ProConnect's button, on the login page when configured (tests/proconnect.rs, browser journey)",
    ),
    (
        "/login/proconnect/retour",
        "ProConnect's return, reached from the provider (tests/proconnect.rs, browser journey)",
    ),
    (
        "/logout/proconnect/retour",
        "ProConnect's return after logout, reached from the provider (tests/proconnect.rs)",
    ),
];

struct Crawl {
    browser: Browser,
    server: TestServer,
    failures: Vec<String>,
    /// Server HTML of each page visited, for the Nu checker: (who and where, bytes).
    sources: Vec<(String, String)>,
    routes_seen: BTreeSet<String>,
}

impl Crawl {
    /// Checks the page the browser shows: status, console, then at each width axe-core and
    /// sideways scroll. Returns the links it offers.
    async fn check(&mut self, who: &str, url: &str) -> Vec<String> {
        let c = &self.browser.client;
        c.goto(&self.server.url(url)).await.unwrap();
        let what = format!("{who} {url}");
        // The page as the server sent it, and its status.
        let answer = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const nav = performance.getEntriesByType('navigation')[0];
                 fetch(location.href, { credentials: 'same-origin' })
                   .then(r => r.text().then(t => done([nav ? nav.responseStatus : r.status, t])))
                   .catch(e => done([0, String(e)]));",
                vec![],
            )
            .await
            .unwrap();
        let status = answer[0].as_u64().unwrap_or_default();
        let html = answer[1].as_str().unwrap_or_default().to_owned();
        if status >= 500 || status == 0 {
            self.failures.push(format!("{what}: status {status}"));
        }
        for error in self.browser.console_errors().await {
            self.failures
                .push(format!("{what}: console error: {error}"));
        }
        for (width, height) in [DESKTOP, PHONE] {
            self.browser.set_viewport(width, height).await;
            if let Some(problem) = self.browser.sideways_scroll().await {
                self.failures
                    .push(format!("{what} at {width} px: sideways scroll: {problem}"));
            }
            let small = c
                .execute(
                    "return Array.from(document.querySelectorAll('svg text'), t => {
                       const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
                       return size < 11.9 ? t.textContent + ' (' + size.toFixed(1) + ' px)' : null;
                     }).filter(x => x);",
                    vec![],
                )
                .await
                .unwrap();
            let small: Vec<String> = serde_json::from_value(small).unwrap_or_default();
            if !small.is_empty() {
                self.failures.push(format!(
                    "{what} at {width} px: chart text under 12 px: {}",
                    small.join(", ")
                ));
            }
            for violation in self.browser.axe_violations().await {
                self.failures
                    .push(format!("{what} at {width} px: axe: {violation}"));
            }
        }
        self.browser.set_viewport(DESKTOP.0, DESKTOP.1).await;
        self.sources.push((what, html));
        let links = c
            .execute(
                "const links = Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'));
                 for (const form of document.querySelectorAll('form[method=get]')) {
                   const query = new URLSearchParams(new FormData(form)).toString();
                   links.push((form.getAttribute('action') || location.pathname) + (query ? '?' + query : ''));
                 }
                 return links;",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(links).unwrap_or_default()
    }

    /// Breadth-first from `start`, at most `PAGES_PER_ROUTE` pages per route.
    async fn crawl(&mut self, who: &str, start: &str) {
        let routes = route_table();
        let mut queue = VecDeque::from([start.to_owned()]);
        let mut seen = BTreeSet::from([start.to_owned()]);
        let mut per_route: HashMap<String, usize> = HashMap::new();
        while let Some(url) = queue.pop_front() {
            let route = route_for(&routes, path_of(&url), false)
                .map_or_else(|| url.clone(), |r| r.pattern.clone());
            let visits = per_route.entry(route.clone()).or_default();
            if *visits >= PAGES_PER_ROUTE {
                continue;
            }
            *visits += 1;
            self.routes_seen.insert(route);
            for link in self.check(who, &url).await {
                let link = link.split('#').next().unwrap_or_default();
                let path = path_of(link);
                if path.ends_with(".csv") || path.ends_with(".xlsx") || path.ends_with(".json") {
                    // Files, not pages: the route is linked (the HTTP tests read them).
                    if let Some(route) = route_for(&routes, path, false) {
                        self.routes_seen.insert(route.pattern.clone());
                    }
                    continue;
                }
                if !link.starts_with('/')
                    || link.starts_with("//")
                    || path == "/logout"
                    || path.starts_with("/static/")
                {
                    continue;
                }
                let link = normalised(link);
                if seen.insert(link.clone()) {
                    queue.push_back(link);
                }
            }
        }
    }

    async fn sign_in(&mut self, email: &str) {
        let login = self.server.url("/login");
        self.browser.sign_in(&login, email, DEMO_PASSWORD).await;
    }

    /// Creates a share link through the first roadmap page's form; returns its path.
    async fn share_link(&mut self) -> String {
        let c = &self.browser.client;
        // A roadmap the editor may share: one of their products' (the list of roadmaps filtered
        // on "mes produits").
        c.goto(&self.server.url("/portefeuille/roadmaps?mes=oui"))
            .await
            .unwrap();
        let mut roadmap = None;
        for link in c
            .find_all(Locator::Css("#liste tbody td:nth-child(2) a"))
            .await
            .unwrap()
        {
            let href = link.attr("href").await.unwrap().unwrap_or_default();
            if href.contains("/roadmaps/") {
                roadmap = Some(href);
                break;
            }
        }
        let roadmap = roadmap.expect("the editor has a product with a roadmap");
        c.goto(&self.server.url(&roadmap)).await.unwrap();
        let link = self.browser.create_share_link().await;
        let path = url::Url::parse(&link).unwrap().path().to_owned();
        assert!(path.starts_with("/r/"), "{link}");
        // The revocation's confirmation page, which only an active link offers.
        let revoke = c
            .find(Locator::Css("a[href$='/revoquer']"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        self.routes_seen
            .insert("/produits/{slug}/roadmaps/{id}/partages/{lid}/revoquer".into());
        self.check("Editor", &revoke).await;
        path
    }

    /// Shows that each check can fail: a page made too wide, an image without text, invalid
    /// markup are each reported.
    async fn calibrate(&mut self) {
        let c = &self.browser.client;
        c.goto(&self.server.url("/login")).await.unwrap();
        // An inline style is refused by the content security policy, and said on the console.
        c.execute(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>');
             const wide = document.createElement('div');
             wide.style.width = '3000px';
             wide.textContent = 'large';
             document.body.append(wide, document.createElement('img'));",
            vec![],
        )
        .await
        .unwrap();
        assert!(self.browser.sideways_scroll().await.is_some());
        let console = self.browser.console_errors().await;
        assert!(
            console
                .iter()
                .any(|e| e.contains("Content Security Policy")),
            "{console:?}"
        );
        let axe = self.browser.axe_violations().await;
        assert!(axe.iter().any(|v| v.starts_with("image-alt")), "{axe:?}");
        let nu = nu_errors(&[(
            "calibration".into(),
            "<!DOCTYPE html><html lang=fr><title>x</title><span aria-label=x>x</span>".into(),
        )]);
        assert!(nu.iter().any(|e| e.contains("aria-label")), "{nu:?}");
    }
}

/// Runs the Nu HTML checker once over all the pages; one line per error.
pub fn nu_errors(sources: &[(String, String)]) -> Vec<String> {
    let jar = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/vnu-jar/build/dist/vnu.jar");
    assert!(jar.exists(), "vnu-jar is installed by npm ci");
    let dir = std::env::temp_dir().join(format!("boussole-nu-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = BTreeMap::new();
    for (i, (what, html)) in sources.iter().enumerate() {
        let file = dir.join(format!("page{i}.html"));
        std::fs::write(&file, html).unwrap();
        names.insert(format!("page{i}.html"), what.clone());
    }
    let output = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "json", "--exit-zero-always"])
        .arg(&dir)
        .output()
        .expect("java runs the Nu HTML checker (the test command installs it)");
    let _ = std::fs::remove_dir_all(&dir);
    let report: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|_| {
        panic!(
            "Nu checker output: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut errors = Vec::new();
    for message in report["messages"].as_array().into_iter().flatten() {
        let file = message["url"].as_str().unwrap_or_default();
        let name = file.rsplit('/').next().unwrap_or_default();
        let page = names.get(name).map_or(file, String::as_str);
        errors.push(format!(
            "{page}: Nu: {} (line {}): {}",
            message["message"].as_str().unwrap_or_default(),
            message["lastLine"],
            message["extract"].as_str().unwrap_or_default().trim()
        ));
    }
    errors
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn every_page_of_the_demo_portfolio_is_accessible_valid_and_fits_desktop_and_phone(
    db: PgPool,
) {
    // Server errors are logged with their cause: shown beside the failure report.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_test_writer()
        .try_init();
    let started = Instant::now();
    boussole::demo::load(&db, false).await.unwrap();
    let mut crawl = Crawl {
        browser: Browser::start().await,
        server: TestServer::start(db.clone()).await,
        failures: Vec::new(),
        sources: Vec::new(),
        routes_seen: BTreeSet::new(),
    };
    crawl.calibrate().await;
    crawl.crawl("visiteur", "/login").await;
    for (email, _, role) in DEMO_ACCOUNTS {
        crawl.sign_in(email).await;
        crawl.crawl(&format!("{role:?}"), "/").await;
        // Again from the viewer's own products, whose pages offer what they may change (the
        // portfolio's lists lead first to products they only read).
        crawl
            .crawl(&format!("{role:?}"), "/portefeuille/roadmaps?mes=oui")
            .await;
    }
    // The public page of a share link, created as the editor would.
    crawl.sign_in(DEMO_ACCOUNTS[1].0).await;
    let link = crawl.share_link().await;
    crawl.browser.client.delete_all_cookies().await.unwrap();
    crawl.crawl("visiteur", &link).await;
    let pages = crawl.sources.len();
    let nu = nu_errors(&crawl.sources);
    crawl.failures.extend(nu);
    // Every page route is reached by a link (or said why not).
    let unreached: Vec<String> = route_table()
        .into_iter()
        .filter(|r| r.get)
        .map(|r| r.pattern)
        .filter(|p| !crawl.routes_seen.contains(p))
        .filter(|p| !NOT_LINKED.iter().any(|(route, _)| route == p))
        .collect();
    println!(
        "{pages} pages, {} routes, in {:.0} s",
        crawl.routes_seen.len(),
        started.elapsed().as_secs_f64()
    );
    let Crawl {
        browser,
        server,
        failures,
        ..
    } = crawl;
    let mut failures = failures;
    if !unreached.is_empty() {
        failures.push(format!("no link leads to these pages: {unreached:?}"));
    }
    browser.close().await;
    server.stop().await;
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
