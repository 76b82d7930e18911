//! Roadmaps: window, four parts, calendar, conflicts, share links, dashboard and timeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::auth::model::Role;
use chrono::{Datelike, Months, NaiveDate};
use common::{Client, TestApp, count_queries, count_writes, create_product, field_value, written};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

fn month(offset: i32) -> String {
    let today = boussole::web::filters::today();
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let d = if offset >= 0 {
        first.checked_add_months(Months::new(offset as u32))
    } else {
        first.checked_sub_months(Months::new((-offset) as u32))
    };
    d.unwrap().format("%Y-%m").to_string()
}

fn day(offset: i64) -> String {
    (boussole::web::filters::today() + chrono::Duration::days(offset)).to_string()
}

/// A roadmap from this month for `months` months; returns its URL.
async fn roadmap(client: &mut Client, slug: &str, from: i32, months: i32) -> String {
    let page = client
        .post(
            &format!("/produits/{slug}/roadmaps"),
            &[
                ("start_month", &month(from)),
                ("end_month", &month(from + months - 1)),
                ("margin", "20"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text("main"));
    page.location().unwrap().to_owned()
}

async fn version(client: &mut Client, url: &str) -> String {
    field_value(
        &client.get(&format!("{url}/initiatives/nouvelle")).await,
        "version",
    )
    .unwrap()
}

async fn initiative(
    client: &mut Client,
    url: &str,
    title: &str,
    start: i64,
    end: i64,
    status: &str,
) -> common::Page {
    let v = version(client, url).await;
    client
        .post(
            &format!("{url}/initiatives"),
            &[
                ("title", title),
                ("kind", "fonctionnalite"),
                ("status", status),
                ("starts_on", &day(start)),
                ("ends_on", &day(end)),
                ("version", &v),
            ],
        )
        .await
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_roadmap_covers_three_to_six_whole_months(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Répit").await;
    let list = format!("/produits/{slug}/roadmaps");
    for (start, end, message) in [
        (
            0,
            1,
            "Une roadmap court terme couvre 3 à 6 mois (ici 2 mois).",
        ),
        (
            0,
            6,
            "Une roadmap court terme couvre 3 à 6 mois (ici 7 mois).",
        ),
        (3, 0, "Le mois de fin doit suivre le mois de début."),
    ] {
        let page = pm
            .post(
                &list,
                &[
                    ("start_month", &month(start)),
                    ("end_month", &month(end)),
                    ("margin", "20"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.text("#end_month-erreur"), message);
        assert_eq!(
            field_value(&page, "start_month").unwrap(),
            month(start),
            "what was typed is kept"
        );
    }
    let bad_margin = pm
        .post(
            &list,
            &[
                ("start_month", &month(0)),
                ("end_month", &month(2)),
                ("margin", "80"),
            ],
        )
        .await;
    assert!(bad_margin.text("#margin-erreur").contains("entre 0 et 50"));
    let count: i64 = sqlx::query_scalar("select count(*) from roadmaps")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let url = roadmap(&mut pm, &slug, 0, 3).await;
    let page = pm.get(&url).await;
    assert!(page.text("h1").starts_with("Roadmap "));
    assert!(page.text("main").contains("Roadmap courante"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_four_parts_are_edited_on_the_roadmap_page(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Répit").await;
    for title in ["Objectif A", "Objectif B", "Objectif C", "Objectif D"] {
        pm.post(&format!("/produits/{slug}/objectifs"), &[("title", title)])
            .await;
    }
    let objectives: Vec<uuid::Uuid> =
        sqlx::query_scalar("select id from objectives order by position")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let url = roadmap(&mut pm, &slug, 0, 3).await;

    // Priorities by rank, margin at 0: both warnings show.
    let form = pm.get(&format!("{url}/modifier")).await;
    let v = field_value(&form, "version").unwrap();
    let mut fields: Vec<(String, String)> = vec![
        ("start_month".into(), month(0)),
        ("end_month".into(), month(2)),
        ("margin".into(), "0".into()),
        ("version".into(), v),
    ];
    for (rank, id) in objectives.iter().enumerate() {
        fields.push((format!("rang-{id}"), (4 - rank).to_string()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pm.post(&format!("{url}/modifier"), &refs).await.status,
        StatusCode::SEE_OTHER
    );
    let page = pm.get(&url).await;
    assert_eq!(
        page.texts("section[aria-labelledby=priorites] ol li"),
        ["Objectif D", "Objectif C", "Objectif B", "Objectif A"]
    );
    assert!(
        page.text("main")
            .contains("Plus de 3 objectifs prioritaires")
    );
    assert!(page.text("main").contains("Aucune marge"));
    let forged = pm
        .post(
            &format!("{url}/modifier"),
            &[
                ("start_month", &month(0)),
                ("end_month", &month(2)),
                ("margin", "10"),
                ("version", "2"),
                (&format!("rang-{}", uuid::Uuid::new_v4()), "1"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Initiatives: dates checked, overflow said, no objective flagged.
    let backwards = initiative(&mut pm, &url, "À l’envers", 10, 2, "prevue").await;
    assert_eq!(
        backwards.text("#ends_on-erreur"),
        "La fin de l’initiative doit suivre son début."
    );
    let v = version(&mut pm, &url).await;
    let unknown = pm
        .post(
            &format!("{url}/initiatives"),
            &[
                ("title", "X"),
                ("kind", "action"),
                ("status", "prevue"),
                ("starts_on", &day(0)),
                ("ends_on", &day(1)),
                ("objective_id", &uuid::Uuid::new_v4().to_string()),
                ("version", &v),
            ],
        )
        .await;
    assert!(
        unknown
            .text("#objective_id-erreur")
            .contains("Choisissez un objectif de ce produit")
    );
    assert_eq!(
        initiative(&mut pm, &url, "Parcours de demande", 0, 20, "en-cours")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        initiative(&mut pm, &url, "Tableau de suivi", 0, 400, "prevue")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        initiative(&mut pm, &url, "Enquête", -10, -2, "terminee")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = pm.get(&url).await;
    let rows = page.texts("#initiatives tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Tableau de suivi") && r.contains("Déborde de la fenêtre")),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.contains("Aucun objectif")));
    assert!(
        page.text("#initiatives")
            .contains("33 % des initiatives terminées")
    );
    let horizons = page.text("section[aria-labelledby=horizons]");
    assert!(horizons.contains("Parcours de demande"));

    // The calendar, by month then by week.
    let by_month = page.texts(".bsl-calendar thead th");
    assert_eq!(by_month.len(), 4, "a title column and three months");
    assert!(
        page.text(".bsl-calendar .bsl-current")
            .contains("(aujourd’hui)")
    );
    assert!(
        page.text(".bsl-calendar tbody").contains("→"),
        "the overflowing bar says so"
    );
    let weeks = pm.get(&format!("{url}?vue=semaines")).await;
    assert!(weeks.texts(".bsl-calendar thead th").len() >= 13);

    // A risk without description is refused; a high open risk is flagged.
    let v = version(&mut pm, &url).await;
    let empty = pm
        .post(
            &format!("{url}/risques"),
            &[
                ("kind", "risque"),
                ("description", " "),
                ("likelihood", "fort"),
                ("impact", "fort"),
                ("status", "ouvert"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(
        empty.text("#description-erreur"),
        "Décrivez la dépendance ou le risque."
    );
    let saved = pm
        .post(
            &format!("{url}/risques"),
            &[
                ("kind", "dependance"),
                ("description", "API du SI métier livrée en retard"),
                ("likelihood", "fort"),
                ("impact", "fort"),
                ("status", "ouvert"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(
        pm.get(&url)
            .await
            .text("#risques")
            .contains("Élevé, ouvert")
    );

    // Deleting asks first and is audited.
    let iid: uuid::Uuid = sqlx::query_scalar("select id from initiatives where title = 'Enquête'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        pm.get(&format!("{url}/initiatives/{iid}/supprimer"))
            .await
            .text("main")
            .contains("sera supprimée")
    );
    pm.post(&format!("{url}/initiatives/{iid}/supprimer"), &[])
        .await;
    assert_eq!(pm.get(&url).await.texts("#initiatives tbody tr").len(), 2);
    let history = pm.get(&format!("/produits/{slug}/historique")).await;
    assert!(
        history.texts(".bsl-history li > p strong")[0]
            .contains("a supprimé l’initiative « Enquête »")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_stale_roadmap_edit_gets_the_conflict_page_and_loses_nothing(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Disputé").await;
    let url = roadmap(&mut pm, &slug, 0, 3).await;
    let stale = version(&mut pm, &url).await;
    assert_eq!(
        initiative(&mut pm, &url, "Celle d’avant", 0, 5, "prevue")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let second = pm
        .post(
            &format!("{url}/initiatives"),
            &[
                ("title", "La mienne"),
                ("kind", "action"),
                ("status", "prevue"),
                ("starts_on", &day(0)),
                ("ends_on", &day(3)),
                ("version", &stale),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(field_value(&second, "title").unwrap(), "La mienne");
    assert_ne!(field_value(&second, "version").unwrap(), stale);
    let count: i64 = sqlx::query_scalar("select count(*) from initiatives")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

fn token_of(page: &common::Page) -> String {
    let url = field_value(page, "nouveau-lien").expect("the new link is shown once");
    url.rsplit('/').next().unwrap().to_owned()
}

/// A product « Partagé » with a current roadmap holding « Parcours de demande », and a link to
/// it created through the roadmap page's form: (app, editor, slug, roadmap url, token).
async fn shared_roadmap(db: PgPool) -> (TestApp, Client, String, String, String) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Partagé").await;
    let url = roadmap(&mut pm, &slug, 0, 3).await;
    initiative(&mut pm, &url, "Parcours de demande", 0, 20, "en-cours").await;
    let page = pm.get(&url).await;
    let created = pm
        .submit(
            &page,
            "form[action$='/partages']",
            &[
                ("label", "Équipe métier"),
                ("days", "90"),
                ("cible", "courante"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let token = token_of(&pm.get(&url).await);
    (app, pm, slug, url, token)
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_share_link_outside_1_to_180_days_is_refused_by_the_field_with_the_input_kept(
    db: PgPool,
) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Partagé").await;
    let url = roadmap(&mut pm, &slug, 0, 3).await;
    initiative(&mut pm, &url, "Parcours de demande", 0, 20, "en-cours").await;
    // A validity out of bounds: the form comes back with the error by the field, what was typed
    // kept, and the error summary focused.
    for days in ["999", "0", "NaN"] {
        let page = pm.get(&url).await;
        let refused = pm
            .submit(
                &page,
                "form[action$='/partages']",
                &[("label", "Trop"), ("days", days), ("cible", "courante")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{days}");
        assert!(
            refused
                .text("#days-erreur")
                .contains("entre 1 et 180 jours")
        );
        assert_eq!(field_value(&refused, "label").as_deref(), Some("Trop"));
        assert_eq!(field_value(&refused, "days").as_deref(), Some(days));
        let html = refused.html();
        let summary = html
            .select(&scraper::Selector::parse("#partage-erreurs[autofocus]").unwrap())
            .next()
            .expect("a focused error summary");
        assert!(summary.html().contains("href=\"#days\""));
        assert!(
            html.select(&scraper::Selector::parse("#cible-courante[checked]").unwrap())
                .next()
                .is_some()
        );
    }
    let links: i64 = sqlx::query_scalar("select count(*) from share_links")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(links, 0);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_share_link_shows_one_roadmap_to_anyone_without_a_way_into_the_application(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Partagé").await;
    let url = roadmap(&mut pm, &slug, 0, 3).await;
    initiative(&mut pm, &url, "Parcours de demande", 0, 20, "en-cours").await;
    let other = create_product(&mut pm, &app.db, "Secret Défense").await;
    let other_url = roadmap(&mut pm, &other, 0, 3).await;
    initiative(
        &mut pm,
        &other_url,
        "Initiative confidentielle",
        0,
        20,
        "en-cours",
    )
    .await;
    pm.post(
        &format!("{url}/partages"),
        &[
            ("label", "Équipe métier"),
            ("days", "90"),
            ("cible", "courante"),
        ],
    )
    .await;
    let shown = pm.get(&url).await;
    let token = token_of(&shown);
    assert_eq!(token.len(), 64);
    assert!(
        pm.get(&url).await.text("#nouveau-lien").is_empty(),
        "shown once only"
    );
    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from share_links")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(
        stored,
        token.as_bytes(),
        "the stored value is not the token"
    );
    assert_eq!(stored, Sha256::digest(token.as_bytes()).to_vec());

    let mut visitor = app.client();
    let public = visitor.get(&format!("/r/{token}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.text("h1"), "Partagé");
    assert!(public.text("main").contains("Parcours de demande"));
    assert!(
        !public.body.contains("Initiative confidentielle")
            && !public.body.contains("Secret Défense")
    );
    assert!(
        !public.body.contains("href=\"/produits") && !public.body.contains("href=\"/\""),
        "no link into the application"
    );
    assert!(
        !public.text("main").contains("Modifier") && !public.text("main").contains("Supprimer")
    );
    assert_eq!(public.header("x-robots-tag"), Some("noindex, nofollow"));
    assert_eq!(public.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(public.header("cache-control"), Some("private, no-cache"));
    assert!(
        public
            .body
            .contains("<meta name=\"robots\" content=\"noindex, nofollow\">")
    );
    assert_eq!(
        visitor
            .get(&format!("/r/{token}?vue=semaines"))
            .await
            .status,
        StatusCode::OK
    );
    let list = pm.get(&url).await;
    let row = list.texts("#liens tbody tr")[0].clone();
    assert!(
        row.contains("Équipe métier") && row.contains("Roadmap courante") && row.contains("Actif")
    );
    let views_cell = list.texts("#liens tbody tr td:nth-child(6)")[0].clone();
    assert_eq!(views_cell, "2", "the two views are counted at once");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn viewing_a_public_link_writes_nothing_and_its_views_reach_the_database_at_the_next_flush(
    db: PgPool,
) {
    let (app, mut pm, _, url, token) = shared_roadmap(db).await;
    // The editor's pages read as well: nothing they show writes. The roadmap page, with its
    // links and share form, reads in at most six statements whatever the roadmap holds.
    let (_, few) = count_queries(pm.get(&url)).await;
    initiative(&mut pm, &url, "Une étape de plus", 0, 10, "prevue").await;
    pm.get(&url).await; // shows, and so ends, the message "Initiative ajoutée"
    let (page, queries) = count_queries(pm.get(&url)).await;
    assert!(page.text("main").contains("Une étape de plus"));
    assert_eq!(
        queries, few,
        "statements before and after adding an initiative"
    );
    assert!(queries <= 6, "{queries} statements for the roadmap page");
    count_writes(&app.db).await;
    let mut visitor = app.client();
    let mut seen = Vec::new();
    for _ in 0..5 {
        // The public page, with the vision, the indicators and the roadmap: two statements,
        // then one (the link) while the product does not change: the page rendered for this
        // version is sent again.
        let (page, queries) = count_queries(visitor.get(&format!("/r/{token}"))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text("main").contains("Une étape de plus"));
        assert!(queries <= 2, "{queries} statements for a public view");
        seen.push((queries, page.body));
    }
    assert!(
        seen[1..]
            .iter()
            .all(|(queries, body)| *queries == 1 && *body == seen[0].1)
    );
    let list = pm.get(&url).await;
    assert_eq!(written(&app.db).await, 0, "reads wrote rows");
    assert_eq!(list.texts("#liens tbody tr td:nth-child(6)"), ["5"]);

    app.state.traffic.flush(&app.db).await.unwrap();
    assert_eq!(
        written(&app.db).await,
        1,
        "one statement, one row, for five views"
    );
    let (views, seen): (i64, bool) = sqlx::query_as(
        "select views, last_viewed_at > now() - interval '1 minute' from share_links",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((views, seen), (5, true));
    assert_eq!(
        pm.get(&url).await.texts("#liens tbody tr td:nth-child(6)"),
        ["5"],
        "counted once, not twice"
    );
    // A flush with nothing counted writes nothing either.
    let before = written(&app.db).await;
    app.state.traffic.flush(&app.db).await.unwrap();
    assert_eq!(written(&app.db).await, before);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn valid_views_are_limited_per_address_too(db: PgPool) {
    let (app, _, _, _, token) = shared_roadmap(db).await;
    let mut visitor = app.client();
    for _ in 0..boussole::roadmaps::share::PUBLIC_RATE_LIMIT {
        assert_eq!(
            visitor.get(&format!("/r/{token}")).await.status,
            StatusCode::OK
        );
    }
    let limited = visitor.get(&format!("/r/{token}")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("retry-after"), Some("60"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_link_to_the_current_roadmap_follows_the_product_to_its_next_roadmap(db: PgPool) {
    let (app, mut pm, slug, _, token) = shared_roadmap(db).await;
    let mut visitor = app.client();
    // "La roadmap courante" follows the product: a new roadmap covering today takes over.
    sqlx::query("update roadmaps set start_month = start_month - interval '6 months', end_month = end_month - interval '6 months' where id = (select id from roadmaps where product_id = (select id from products where slug = $1))")
        .bind(&slug)
        .execute(&app.db)
        .await
        .unwrap();
    let next = roadmap(&mut pm, &slug, 0, 6).await;
    initiative(&mut pm, &next, "Nouvelle saison", 0, 20, "prevue").await;
    let followed = visitor.get(&format!("/r/{token}")).await;
    assert!(
        followed.text("main").contains("Nouvelle saison")
            && !followed.text("main").contains("Parcours de demande")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_revoked_link_answers_like_one_that_never_existed(db: PgPool) {
    let (app, mut pm, _, next, token) = shared_roadmap(db).await;
    let mut visitor = app.client();
    // Revoked: the same page as a link that never existed.
    let lid: uuid::Uuid = sqlx::query_scalar("select id from share_links")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        pm.get(&format!("{next}/partages/{lid}/revoquer"))
            .await
            .text("main")
            .contains("cessera immédiatement")
    );
    pm.post(&format!("{next}/partages/{lid}/revoquer"), &[])
        .await;
    let revoked = visitor.get(&format!("/r/{token}")).await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND);
    assert!(
        revoked
            .text("main")
            .contains("Demandez un nouveau lien à l’équipe du produit.")
    );
    let never = visitor.get(&format!("/r/{}", "0".repeat(64))).await;
    assert_eq!(
        (never.status, never.text("main")),
        (revoked.status, revoked.text("main"))
    );
    for garbage in ["x", "%FF%FE", &"a".repeat(500), "..%2F..%2Fetc"] {
        assert_eq!(
            visitor.get(&format!("/r/{garbage}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn an_expired_link_stops_at_once_and_every_link_event_is_audited(db: PgPool) {
    let (app, mut pm, _, next, _) = shared_roadmap(db).await;
    let mut visitor = app.client();
    let lid: uuid::Uuid = sqlx::query_scalar("select id from share_links")
        .fetch_one(&app.db)
        .await
        .unwrap();
    pm.post(&format!("{next}/partages/{lid}/revoquer"), &[])
        .await;
    // Expired: stops at once too.
    pm.post(
        &format!("{next}/partages"),
        &[
            ("label", "Court"),
            ("days", "1"),
            ("cible", next.rsplit('/').next().unwrap()),
        ],
    )
    .await;
    let token = token_of(&pm.get(&next).await);
    assert_eq!(
        visitor.get(&format!("/r/{token}")).await.status,
        StatusCode::OK
    );
    sqlx::query(
        "update share_links set expires_at = now() - interval '1 second' where label = 'Court'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(
        visitor.get(&format!("/r/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'share%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(actions, ["share-create", "share-revoke", "share-create"]);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn public_links_are_rate_limited_per_address(db: PgPool) {
    let app = TestApp::new(db);
    let mut visitor = app.client();
    for _ in 0..boussole::roadmaps::share::PUBLIC_RATE_LIMIT {
        assert_eq!(
            visitor.get(&format!("/r/{}", "1".repeat(64))).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let limited = visitor.get(&format!("/r/{}", "1".repeat(64))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.text("main").contains("réessayez dans une minute"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn only_members_write_and_the_portfolio_shows_roadmaps(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let with = create_product(&mut pm, &app.db, "Avec roadmap").await;
    create_product(&mut pm, &app.db, "Sans roadmap").await;
    let url = roadmap(&mut pm, &with, 0, 3).await;
    initiative(&mut pm, &url, "Faite", -5, -1, "terminee").await;
    initiative(&mut pm, &url, "À faire", 1, 9, "prevue").await;

    let dashboard = pm.get("/").await;
    let rows = dashboard.texts("#portefeuille tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Avec roadmap") && r.contains("50 % fait")),
        "{rows:?}"
    );
    // Rows by name: "Avec roadmap", then "Sans roadmap".
    assert_eq!(
        dashboard.texts("#portefeuille td[data-label=Roadmap]")[1],
        "Aucune"
    );
    assert_eq!(
        pm.get("/?roadmap=sans")
            .await
            .texts("#portefeuille tbody tr th"),
        ["Sans roadmap"]
    );
    let timeline = pm.get("/portefeuille/calendrier").await;
    let lines = timeline.texts("#calendrier-tableau tbody tr");
    assert!(
        lines[0].starts_with("Avec roadmap Dans les temps"),
        "{lines:?}"
    );
    assert_eq!(lines[1], "Sans roadmap Aucune Aucune Aucun 0");
    let sheet = pm.get(&format!("/produits/{with}")).await;
    assert!(
        sheet
            .text("#roadmap")
            .contains("50 % des initiatives terminées")
    );

    let rid = url.rsplit('/').next().unwrap().to_owned();
    let iid: uuid::Uuid = sqlx::query_scalar("select id from initiatives limit 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let lid: uuid::Uuid = {
        pm.post(
            &format!("{url}/partages"),
            &[("days", "30"), ("cible", &rid)],
        )
        .await;
        sqlx::query_scalar("select id from share_links")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    for role in [Role::Reader, Role::Editor] {
        let (mut other, _) = app.signed_in(role).await;
        assert_eq!(
            other.get(&url).await.status,
            StatusCode::OK,
            "everyone reads"
        );
        assert!(
            other.get(&url).await.text("#partage").is_empty(),
            "no share links for non-members"
        );
        for page in [
            other
                .post(
                    &format!("/produits/{with}/roadmaps"),
                    &[
                        ("start_month", &month(0)),
                        ("end_month", &month(2)),
                        ("margin", "10"),
                    ],
                )
                .await,
            other
                .post(
                    &format!("{url}/modifier"),
                    &[
                        ("start_month", &month(0)),
                        ("end_month", &month(2)),
                        ("margin", "10"),
                    ],
                )
                .await,
            other
                .post(&format!("{url}/initiatives"), &[("title", "X")])
                .await,
            other
                .post(
                    &format!("{url}/initiatives/{iid}/modifier"),
                    &[("title", "X")],
                )
                .await,
            other
                .post(&format!("{url}/initiatives/{iid}/supprimer"), &[])
                .await,
            other
                .post(&format!("{url}/risques"), &[("description", "X")])
                .await,
            other
                .post(
                    &format!("{url}/partages"),
                    &[("days", "30"), ("cible", "courante")],
                )
                .await,
            other
                .post(&format!("{url}/partages/{lid}/revoquer"), &[])
                .await,
        ] {
            assert_eq!(page.status, StatusCode::FORBIDDEN);
        }
    }
    let revoked: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select revoked_at from share_links")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(revoked.is_none());
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_roadmap_starting_next_month_is_named_the_same_way_on_every_page(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Bientôt").await;
    let url = roadmap(&mut pm, &slug, 1, 3).await;
    let page = pm.get(&url).await;
    let words = page.text("main .fr-badge");
    assert!(
        words.starts_with("Pas de roadmap en cours (prochaine : "),
        "{words}"
    );
    assert!(!page.text("main").contains("Roadmap courante"));
    let note = words.trim().to_owned();

    assert!(
        pm.get(&format!("/produits/{slug}"))
            .await
            .text("#roadmap")
            .contains(&note)
    );
    assert!(pm.get("/").await.text("main").contains(&note));
    let timeline = pm.get("/portefeuille/calendrier").await;
    let line = timeline.text("#calendrier-tableau tbody tr");
    assert!(
        line.starts_with(&format!("Bientôt À venir : {note}")) && line.contains(": à venir"),
        "{line}"
    );
    // The filter "sans roadmap en cours" counts it there too.
    assert!(
        pm.get("/?roadmap=sans")
            .await
            .text("main")
            .contains("Bientôt")
    );
    // A link to "the current roadmap" shows it too, with the same words.
    let page = pm.get(&url).await;
    let created = pm
        .submit(&page, "form[action$='/partages']", &[("cible", "courante")])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let token = token_of(&pm.get(&url).await);
    let public = app.client().get(&format!("/r/{token}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.text("main").contains(&note),
        "{}",
        public.text("main")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_planned_initiative_whose_start_is_past_waits_for_confirmation(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Prévu").await;
    let url = roadmap(&mut pm, &slug, 0, 3).await;
    let form = pm.get(&format!("{url}/initiatives/nouvelle")).await;
    let held = pm
        .submit(
            &form,
            "main form",
            &[
                ("title", "Refonte du formulaire"),
                ("status", "prevue"),
                ("starts_on", &day(-10)),
                ("ends_on", &day(40)),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        held.text("#avertissements")
            .contains("est « Prévue » mais sa date de début"),
        "{}",
        held.text("main")
    );
    assert_eq!(
        field_value(&held, "title").as_deref(),
        Some("Refonte du formulaire")
    );
    assert!(
        !pm.get(&url)
            .await
            .text("main")
            .contains("Refonte du formulaire")
    );
    // Confirmed as typed: saved.
    let saved = pm.submit(&held, "main form", &[("confirmer", "oui")]).await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    assert!(
        pm.get(&url)
            .await
            .text("main")
            .contains("Refonte du formulaire")
    );
    // Started in the future, or already « En cours »: no question asked.
    let form = pm.get(&format!("{url}/initiatives/nouvelle")).await;
    let direct = pm
        .submit(
            &form,
            "main form",
            &[
                ("title", "Démarrée"),
                ("status", "en-cours"),
                ("starts_on", &day(-10)),
                ("ends_on", &day(40)),
            ],
        )
        .await;
    assert_eq!(
        direct.status,
        StatusCode::SEE_OTHER,
        "{}",
        direct.text("main")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_share_link_shows_the_vision_indicators_and_contact_chosen_and_is_renewed_in_one_click(
    db: PgPool,
) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Répit partagé").await;
    let url = roadmap(&mut pm, &slug, 0, 3).await;
    // A vision, an indicator, a person: each through its own form.
    let form = pm.get(&format!("/produits/{slug}/vision/modifier")).await;
    let saved = pm
        .submit(
            &form,
            "main form",
            &[("statement", "Permettre aux aidants de souffler.")],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let form = pm
        .get(&format!("/produits/{slug}/indicateurs/nouveau"))
        .await;
    let saved = pm
        .submit(
            &form,
            "main form",
            &[
                ("name", "Demandes déposées"),
                ("kind", "succes"),
                ("direction", "hausse"),
                ("frequency", "mensuelle"),
                ("source", "jdma"),
                ("unit", "demandes"),
                ("baseline_value", "100"),
                ("baseline_date", &day(-30)),
                ("target_value", "200"),
                ("target_date", &day(300)),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let form = pm
        .get(&format!("/produits/{slug}/roles/personnes/nouvelle"))
        .await;
    let saved = pm
        .submit(
            &form,
            "main form",
            &[
                ("name", "Camille Petit"),
                ("team", "dnum"),
                ("role_title", "Responsable produit"),
                ("email", "camille.petit@social.gouv.fr"),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );

    // The share form offers the three, vision and indicators ticked by default.
    let page = pm.get(&url).await;
    let contact = page
        .html()
        .select(&scraper::Selector::parse("#contact option").unwrap())
        .find(|o| o.text().collect::<String>().starts_with("Camille Petit"))
        .and_then(|o| o.value().attr("value").map(str::to_owned))
        .expect("the product's people are offered as contact");
    let created = pm
        .submit(
            &page,
            "form[action$='/partages']",
            &[("label", "Équipe métier"), ("contact", &contact)],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let page = pm.get(&url).await;
    assert!(page.text("#partage").contains("n’est affichée qu’une fois"));
    let token = token_of(&page);
    assert!(
        page.text("#liens tbody")
            .contains("roadmap, vision, indicateurs, contact")
    );
    let public = app.client().get(&format!("/r/{token}")).await;
    assert_eq!(public.status, StatusCode::OK);
    let main = public.text("main");
    assert!(
        main.contains("Permettre aux aidants de souffler."),
        "{main}"
    );
    assert!(main.contains("Demandes déposées"));
    assert!(
        public
            .text("#contact")
            .contains("Camille Petit, Responsable produit")
    );
    assert!(
        public
            .text("#contact")
            .contains("camille.petit@social.gouv.fr")
    );
    assert!(main.contains("Dernière mise à jour de la fiche produit"));
    // No way into the application from the public page.
    assert!(
        public
            .html()
            .select(&scraper::Selector::parse("main a[href^='/produits']").unwrap())
            .next()
            .is_none()
    );

    // A link without them shows the roadmap only.
    let page = pm.get(&url).await;
    let created = pm
        .submit(
            &page,
            "form[action$='/partages']",
            &[
                ("label", "Prestataire"),
                ("vision", common::UNTICKED),
                ("indicateurs", common::UNTICKED),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let bare = token_of(&pm.get(&url).await);
    let main = app.client().get(&format!("/r/{bare}")).await.text("main");
    assert!(!main.contains("Permettre aux aidants"));
    assert!(!main.contains("Demandes déposées"));

    // The address of the first link is lost: one click makes a new one with its settings.
    let page = pm.get(&url).await;
    let html = page.html();
    let action = html
        .select(&scraper::Selector::parse("#liens tbody tr").unwrap())
        .find(|row| row.text().collect::<String>().contains("Équipe métier"))
        .and_then(|row| {
            row.select(&scraper::Selector::parse("form[action$='/renouveler']").unwrap())
                .next()
        })
        .and_then(|form| form.value().attr("action").map(str::to_owned))
        .expect("each link offers a new one with its settings");
    let renewed = pm.post(&action, &[]).await;
    assert_eq!(renewed.status, StatusCode::SEE_OTHER);
    let page = pm.get(&url).await;
    let fresh = token_of(&page);
    assert_ne!(fresh, token);
    let public = app.client().get(&format!("/r/{fresh}")).await;
    assert!(public.text("#contact").contains("Camille Petit"));
    assert!(public.text("main").contains("Permettre aux aidants"));
}

/// Adds an initiative through its form; returns the roadmap page it leads to.
async fn initiative_by_form(client: &mut Client, url: &str, fields: &[(&str, &str)]) {
    let form = client.get(&format!("{url}/initiatives/nouvelle")).await;
    let made = client.submit(&form, "main form", fields).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text("main"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_timeline_places_each_roadmap_by_day_with_its_status_milestones_and_high_risks(
    db: PgPool,
) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let late = create_product(&mut pm, &app.db, "Alpha").await;
    let fine = create_product(&mut pm, &app.db, "Bêta").await;
    create_product(&mut pm, &app.db, "Gamma").await;
    let late_url = roadmap(&mut pm, &late, -1, 4).await;
    initiative_by_form(
        &mut pm,
        &late_url,
        &[
            ("title", "Migration"),
            ("status", "en-cours"),
            ("starts_on", &day(-20)),
            ("ends_on", &day(-2)),
            ("milestone", "Bascule"),
            ("milestone_on", &day(-3)),
        ],
    )
    .await;
    let fine_url = roadmap(&mut pm, &fine, 0, 3).await;
    initiative_by_form(
        &mut pm,
        &fine_url,
        &[
            ("title", "Ouverture"),
            ("status", "terminee"),
            ("starts_on", &day(0)),
            ("ends_on", &day(1)),
            ("milestone_on", &day(1)),
        ],
    )
    .await;
    let form = pm.get(&format!("{fine_url}/risques/nouveau")).await;
    let made = pm
        .submit(
            &form,
            "main form",
            &[
                ("description", "Départ du prestataire"),
                ("likelihood", "fort"),
                ("status", "ouvert"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text("main"));

    // From the dashboard, searching "a" (all three), the timeline link keeps the filters.
    let dashboard = pm.get("/?q=a").await;
    let link = dashboard
        .links()
        .into_iter()
        .find(|(text, _)| text.contains("Calendrier"))
        .unwrap()
        .1;
    assert!(link.contains("q=a"), "{link}");
    let timeline = pm.get(&link).await;
    assert_eq!(timeline.status, StatusCode::OK);
    assert_eq!(
        timeline.texts(".bsl-gantt-rows .bsl-gantt-name > a:first-child"),
        ["Alpha", "Bêta", "Gamma"]
    );
    assert_eq!(
        timeline.texts(".bsl-gantt-state"),
        [
            "En retard : 1 initiative dépassée",
            "Dans les temps",
            "Aucune"
        ]
    );
    // Bars are links to the roadmap, coloured by status and named in words.
    assert_eq!(
        timeline.attrs(".bsl-gantt-barlink", "href"),
        [late_url.clone(), fine_url.clone()]
    );
    assert_eq!(
        timeline.attrs(".bsl-gantt-bar", "class"),
        [
            "bsl-gantt-bar bsl-gantt-bar--late",
            "bsl-gantt-bar bsl-gantt-bar--ok"
        ]
    );
    let labels = timeline.attrs(".bsl-gantt-barlink", "aria-label");
    assert!(labels[0].contains("de Alpha : en retard, 0 % des initiatives terminées"));
    assert!(labels[1].contains("de Bêta : dans les temps, 100 % des initiatives terminées"));
    // Placed by day: the calendar starts with Alpha's first month (last month), so Alpha's bar
    // starts at 0 and Bêta's where this month begins; it runs six months, to month(4) included.
    let first = |offset: i32| {
        NaiveDate::parse_from_str(&format!("{}-01", month(offset)), "%Y-%m-%d").unwrap()
    };
    let width = (first(5) - first(-1)).num_days() as f64;
    let at = |d: NaiveDate| format!("{:.2}%", (d - first(-1)).num_days() as f64 * 100.0 / width);
    assert_eq!(
        timeline.attrs(".bsl-gantt-bar", "x"),
        ["0.00%".to_owned(), at(first(0))]
    );
    assert_eq!(timeline.attrs(".bsl-gantt-bar", "width")[0], at(first(3)));
    let today = boussole::web::filters::today();
    assert_eq!(timeline.attrs(".bsl-gantt-today", "x1")[0], at(today));
    assert!(timeline.text("main").contains(&format!(
        "de {} à {}",
        boussole::roadmaps::model::month_label(first(-1)),
        boussole::roadmaps::model::month_label(first(4))
    )));
    // Milestones as diamonds: missed (its initiative is not done) and reached.
    let short = |d: &str| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .unwrap()
            .format("%d/%m/%Y")
            .to_string()
    };
    assert_eq!(
        timeline.attrs(".bsl-gantt-marklink", "aria-label"),
        [
            format!("Jalon « Bascule » le {} : en retard", short(&day(-3))),
            format!("Jalon « Ouverture » le {} : atteint", short(&day(1))),
        ]
    );
    assert_eq!(
        timeline.attrs(".bsl-gantt-milestone", "class"),
        [
            "bsl-gantt-milestone bsl-gantt-milestone--late",
            "bsl-gantt-milestone bsl-gantt-milestone--done"
        ]
    );
    // The high risk is marked on its product and leads to it.
    let risk = timeline
        .links()
        .into_iter()
        .find(|(text, _)| text == "1 risque élevé")
        .unwrap();
    assert_eq!(risk.1, format!("{fine_url}#risques"));
    assert!(
        pm.get(&risk.1)
            .await
            .text("#risques")
            .contains("Départ du prestataire")
    );
    // The table says it all in words.
    let lines = timeline.texts("#calendrier-tableau tbody tr");
    assert!(
        lines[0].contains(&format!("{} : Bascule (en retard)", short(&day(-3)))),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("(atteint) 1"), "{lines:?}");
    assert_eq!(lines[2], "Gamma Aucune Aucune Aucun 0");

    // The dashboard's filters apply: a search keeps one row.
    let one = pm.get("/portefeuille/calendrier?q=B%C3%AAta").await;
    assert_eq!(
        one.texts(".bsl-gantt-rows .bsl-gantt-name > a:first-child"),
        ["Bêta"]
    );
    assert!(
        one.text("main")
            .contains("1 produit retenu par les filtres du portefeuille")
    );
}

/// A visitor who already holds the page gets `304 Not Modified`, in one statement and without
/// a write; any change to the product, and the revocation, end that at once.
#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_public_link_seen_before_answers_not_modified_until_the_product_changes(db: PgPool) {
    let (app, mut pm, _, url, token) = shared_roadmap(db).await;
    count_writes(&app.db).await;
    let mut visitor = app.client();
    let public = format!("/r/{token}");
    let first = visitor.get(&public).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));

    let before = written(&app.db).await;
    let (again, queries) = count_queries(visitor.revalidate(&public, &etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(queries, 1, "statements for a 304");
    assert_eq!(written(&app.db).await, before, "a 304 writes nothing");
    // Another view of the same link is another page.
    let weeks = visitor
        .revalidate(&format!("{public}?vue=semaines"), &etag)
        .await;
    assert_eq!(weeks.status, StatusCode::OK);

    // The team adds an initiative: the visitor's copy is stale, the page shows it.
    initiative(&mut pm, &url, "Nouvelle étape", 0, 10, "prevue").await;
    let changed = visitor.revalidate(&public, &etag).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.text("main").contains("Nouvelle étape"));
    let newer = changed.header("etag").unwrap().to_owned();
    assert_ne!(newer, etag);

    // Revoked: gone, whatever the visitor holds.
    let revoke = pm
        .get(&url)
        .await
        .links()
        .into_iter()
        .find(|(text, _)| text == "Révoquer")
        .unwrap()
        .1;
    let confirm = pm.get(&revoke).await;
    let revoked = pm.submit(&confirm, "main form", &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        visitor.revalidate(&public, &newer).await.status,
        StatusCode::NOT_FOUND
    );
}
