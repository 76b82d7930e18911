//! The printable pages print whole on A4, portrait and landscape: every table cell the printed
//! page shows is within the page's width and is found in the text of the PDF Chromium prints.

use boussole::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use sqlx::PgPool;

use crate::common::{TestServer, browser::Browser};

/// The printable width of A4 with the stylesheet's 1 cm margins, in CSS pixels (96 per inch).
const PORTRAIT_PX: u32 = 718;
const LANDSCAPE_PX: u32 = 1047;

/// The letters and digits of a text: the PDF breaks lines inside cells, may split ligatures
/// and draws symbols (◆, ▲) from fallback fonts whose text it does not always keep.
fn squeezed(text: &str) -> String {
    text.replace('ﬁ', "fi")
        .replace('ﬂ', "fl")
        .replace('ﬀ', "ff")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether the words of `line` appear in `text` in their order (a cell cut by a page break has
/// the next page's header between its two halves).
fn has_in_order(text: &str, line: &str) -> bool {
    let mut rest = text;
    for word in line
        .split_whitespace()
        .map(squeezed)
        .filter(|w| !w.is_empty())
    {
        match rest.find(&word) {
            Some(i) => rest = &rest[i + word.len()..],
            None => return false,
        }
    }
    true
}

/// Prints the current page on A4 in each orientation of `landscapes` (false: portrait).
async fn check_print(
    browser: &Browser,
    what: &str,
    landscapes: &[bool],
    failures: &mut Vec<String>,
) {
    let c = &browser.client;
    for &landscape in landscapes {
        let width = if landscape { LANDSCAPE_PX } else { PORTRAIT_PX };
        let orientation = if landscape { "paysage" } else { "portrait" };
        // The page as it prints, laid out at the paper's width.
        browser.emulate_print(true).await;
        browser.set_viewport(width, 1000).await;
        let cells = c
            .execute(
                "const width = arguments[0];
                 return Array.from(document.querySelectorAll('td, th'))
                   .filter(cell => cell.offsetParent !== null && cell.innerText.trim() !== '')
                   .map(cell => {
                     const r = cell.getBoundingClientRect();
                     return [cell.innerText, r.right <= width + 1];
                   });",
                vec![serde_json::json!(width)],
            )
            .await
            .unwrap();
        let cells: Vec<(String, bool)> = serde_json::from_value(cells).unwrap();
        browser.emulate_print(false).await;
        browser.set_viewport(1280, 900).await;
        assert!(!cells.is_empty(), "{what}: no table cell to print");
        let pdf = browser.print_a4(landscape).await;
        let raw = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        if let Ok(dir) = std::env::var("BOUSSOLE_SCREENSHOTS") {
            std::fs::write(format!("{dir}/{what}-{orientation}.txt"), &raw).unwrap();
            std::fs::write(format!("{dir}/{what}-{orientation}.pdf"), &pdf).unwrap();
        }
        let text = squeezed(&raw);
        for (cell, fits) in cells {
            if !fits {
                failures.push(format!(
                    "{what}, A4 {orientation}: cell « {} » is cut at the page's edge",
                    cell.trim()
                ));
            } else if let Some(line) = cell.lines().find(|line| !has_in_order(&text, line)) {
                // Line by line: a badge and the text beside it are two runs of the PDF.
                failures.push(format!(
                    "{what}, A4 {orientation}: « {} » (cell « {} ») is missing from the PDF",
                    line.trim(),
                    cell.trim()
                ));
            }
        }
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_sheet_roadmap_share_page_and_indicator_print_whole_on_a4(db: PgPool) {
    boussole::demo::load(&db, false).await.unwrap();
    // The demo product with the most to print: initiatives and risks on its current roadmap.
    let (slug, roadmap): (String, uuid::Uuid) = sqlx::query_as(
        "select p.slug, r.id from products p join roadmaps r on r.product_id = p.id
         order by (select count(*) from initiatives i where i.roadmap_id = r.id)
                + (select count(*) from risks k where k.roadmap_id = r.id) desc, p.slug
         limit 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let indicator: uuid::Uuid = sqlx::query_scalar(
        "select i.id from indicators i join products p on p.id = i.product_id where p.slug = $1
         order by (select count(*) from measurements m where m.indicator_id = i.id) desc limit 1",
    )
    .bind(&slug)
    .fetch_one(&db)
    .await
    .unwrap();
    let server = TestServer::start(db.clone()).await;
    let browser = Browser::start().await;
    let c = &browser.client;
    browser
        .sign_in(&server.url("/login"), DEMO_ACCOUNTS[0].0, DEMO_PASSWORD)
        .await;
    let mut failures = Vec::new();
    let pages = [
        ("la fiche produit", format!("/produits/{slug}")),
        ("la roadmap", format!("/produits/{slug}/roadmaps/{roadmap}")),
        (
            "l'indicateur",
            format!("/produits/{slug}/indicateurs/{indicator}"),
        ),
    ];
    for (what, path) in &pages {
        c.goto(&server.url(path)).await.unwrap();
        check_print(&browser, what, &[false, true], &mut failures).await;
    }
    // The portfolio for a committee, made for landscape: every product of the demo.
    c.goto(&server.url("/portefeuille/impression"))
        .await
        .unwrap();
    let rows = c
        .find_all(fantoccini::Locator::Css("#portefeuille tbody tr"))
        .await
        .unwrap()
        .len();
    assert_eq!(rows, 30, "every active product of the demo");
    check_print(&browser, "le portefeuille", &[true], &mut failures).await;
    // The timeline, landscape too: its table, and every bar within the paper.
    c.goto(&server.url("/portefeuille/calendrier"))
        .await
        .unwrap();
    check_print(&browser, "le calendrier", &[true], &mut failures).await;
    browser.emulate_print(true).await;
    browser.set_viewport(LANDSCAPE_PX, 1000).await;
    let bars = c
        .execute(
            "return Array.from(document.querySelectorAll('.bsl-gantt-bar'))
               .map(bar => bar.getBoundingClientRect())
               .map(r => [r.width > 0, r.right <= arguments[0] + 1]);",
            vec![serde_json::json!(LANDSCAPE_PX)],
        )
        .await
        .unwrap();
    browser.emulate_print(false).await;
    browser.set_viewport(1280, 900).await;
    let bars: Vec<(bool, bool)> = serde_json::from_value(bars).unwrap();
    assert!(!bars.is_empty(), "the demo's roadmaps are on the timeline");
    assert!(
        bars.iter().all(|&(drawn, inside)| drawn && inside),
        "timeline bars on A4 landscape: {bars:?}"
    );
    // The share page, through a link created on the roadmap page.
    c.goto(&server.url(&pages[1].1)).await.unwrap();
    let link = browser.create_share_link().await;
    c.delete_all_cookies().await.unwrap();
    c.goto(&link).await.unwrap();
    check_print(
        &browser,
        "la page de partage",
        &[false, true],
        &mut failures,
    )
    .await;

    browser.close().await;
    server.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
