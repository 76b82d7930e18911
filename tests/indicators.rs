//! Objectives, indicators, measurements, status, chart, library, CSV, dashboard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use boussole::auth::model::Role;
use common::{Client, Page, TestApp, count_queries, create_product, field_value};
use sqlx::PgPool;

fn today() -> chrono::NaiveDate {
    boussole::web::filters::today()
}

fn days_ago(n: i64) -> String {
    (today() - chrono::Duration::days(n))
        .format("%d/%m/%Y")
        .to_string()
}

fn in_days(n: i64) -> String {
    (today() + chrono::Duration::days(n))
        .format("%d/%m/%Y")
        .to_string()
}

/// Creates an indicator "Satisfaction" (6 → 8/10 over a year, started 180 days ago); returns its URL.
async fn satisfaction(client: &mut Client, slug: &str, objective: &str) -> String {
    let page = client
        .post(
            &format!("/produits/{slug}/indicateurs"),
            &[
                ("name", "Satisfaction"),
                ("kind", "succes"),
                ("objective_id", objective),
                ("unit", "note /10"),
                ("direction", "hausse"),
                ("baseline_value", "6"),
                ("baseline_date", &days_ago(180)),
                ("target_value", "8"),
                ("target_date", &in_days(185)),
                ("frequency", "mensuelle"),
                ("source", "jdma"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text("main"));
    page.location().unwrap().to_owned()
}

async fn measure(client: &mut Client, url: &str, date: &str, value: &str) -> Page {
    client
        .post(
            &format!("{url}/mesures"),
            &[("date", date), ("value", value), ("comment", "")],
        )
        .await
}

async fn upload(client: &mut Client, url: &str, content: &[u8]) -> Page {
    let boundary = "limite-boussole";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"mesures.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    // Browsers announce the size of an upload, as here.
    let request = Request::post(url)
        .header(header::CONTENT_LENGTH, body.len())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    client.send(request).await
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn objectives_and_indicators_are_kept_distinct_and_linked(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Aide au Répit").await;
    let empty = pm.get(&format!("/produits/{slug}/indicateurs")).await;
    assert!(
        empty
            .text(".fr-callout")
            .contains("Pas encore d’objectif ni d’indicateur")
    );

    let refused = pm
        .post(&format!("/produits/{slug}/objectifs"), &[("title", "  ")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("#title-erreur")
            .starts_with("Formulez l’objectif")
    );
    pm.post(
        &format!("/produits/{slug}/objectifs"),
        &[
            ("title", "Réduire l’épuisement des aidants"),
            ("description", ""),
        ],
    )
    .await;
    let index = pm.get(&format!("/produits/{slug}/indicateurs")).await;
    assert!(
        index
            .text("main")
            .contains("Aucun indicateur ne mesure cet objectif")
    );

    let objective: uuid::Uuid = sqlx::query_scalar("select id from objectives")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let url = satisfaction(&mut pm, &slug, &objective.to_string()).await;
    let index = pm.get(&format!("/produits/{slug}/indicateurs")).await;
    assert!(
        !index
            .text("main")
            .contains("Aucun indicateur ne mesure cet objectif")
    );
    let section = index.text(&format!("section[aria-labelledby=objectif-{objective}]"));
    assert!(
        section.contains("Satisfaction") && section.contains("Pas de données"),
        "{section}"
    );
    let page = pm.get(&url).await;
    assert!(
        page.text("main")
            .contains("Mesure l’objectif : Réduire l’épuisement des aidants")
    );
    assert_eq!(page.text("#statut"), "Pas de données");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn measurements_drive_the_status_the_chart_and_the_table(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Répit").await;
    let url = satisfaction(&mut pm, &slug, "").await;

    // Half the year gone: half the way (7/10) is expected.
    assert_eq!(
        measure(&mut pm, &url, &days_ago(60), "6,8").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        measure(&mut pm, &url, &days_ago(2), "7,1").await.status,
        StatusCode::SEE_OTHER
    );
    let page = pm.get(&url).await;
    assert_eq!(page.text("#statut"), "En bonne voie");
    assert!(
        page.text("#raison").contains("du chemin parcouru"),
        "{}",
        page.text("#raison")
    );
    assert_eq!(page.text("#derniere-valeur"), "7,1/10");
    assert_eq!(
        page.html()
            .select(&scraper::Selector::parse("svg .bsl-chart-dot").unwrap())
            .count(),
        2
    );
    assert_eq!(page.texts("#mesures tbody tr").len(), 2);
    assert!(page.text("svg desc").contains("2 mesures, en hausse"));
    let svg = page.html();
    let svg = svg
        .select(&scraper::Selector::parse("figure svg").unwrap())
        .next()
        .unwrap();
    assert_eq!(svg.value().attr("role"), Some("img"));

    // A falling value: late.
    measure(&mut pm, &url, &days_ago(1), "5,5").await;
    assert_eq!(pm.get(&url).await.text("#statut"), "En retard");

    // Same date again: asked to confirm before replacing.
    let again = measure(&mut pm, &url, &days_ago(1), "7,2").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again
            .text("[role=alert]")
            .contains("Une mesure existe déjà")
    );
    assert_eq!(field_value(&again, "value").unwrap(), "7,2");
    let replaced = pm
        .post(
            &format!("{url}/mesures"),
            &[
                ("date", &days_ago(1)),
                ("value", "7,2"),
                ("comment", ""),
                ("replace", "oui"),
            ],
        )
        .await;
    assert_eq!(replaced.status, StatusCode::SEE_OTHER);
    let page = pm.get(&url).await;
    assert_eq!(page.text("#derniere-valeur"), "7,2/10");
    assert_eq!(page.texts("#mesures tbody tr").len(), 3);

    // Delete one, after confirming; it goes to the history.
    let mid: uuid::Uuid =
        sqlx::query_scalar("select id from measurements order by measured_on limit 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let confirm = pm.get(&format!("{url}/mesures/{mid}/supprimer")).await;
    assert!(confirm.text("main").contains("sera supprimée"));
    pm.post(&format!("{url}/mesures/{mid}/supprimer"), &[])
        .await;
    assert_eq!(pm.get(&url).await.texts("#mesures tbody tr").len(), 2);
    let history = pm.get(&format!("/produits/{slug}/historique")).await;
    let sentences = history.texts(".bsl-history li > p strong");
    assert!(
        sentences[0].starts_with("Marie Editrice a supprimé la mesure du"),
        "{sentences:?}"
    );
    assert!(
        sentences
            .iter()
            .any(|s| s.contains("a corrigé la mesure") && s.contains("5,5/10 → 7,2/10")),
        "{sentences:?}"
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn bad_numbers_dates_and_targets_are_refused_with_a_message(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Strict").await;
    let url = satisfaction(&mut pm, &slug, "").await;
    for (value, date, field, fragment) in [
        ("douze", days_ago(1), "value", "n’est pas un nombre"),
        ("1e999", days_ago(1), "value", "n’est pas un nombre"),
        ("NaN", days_ago(1), "value", "n’est pas un nombre"),
        (
            "7",
            "31/02/2026".to_owned(),
            "date",
            "n’est pas une date valide",
        ),
        ("7", in_days(3), "date", "futur"),
    ] {
        let page = measure(&mut pm, &url, &date, value).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.text(&format!("#{field}-erreur")).contains(fragment),
            "{value} {date}: {}",
            page.text(&format!("#{field}-erreur"))
        );
        assert_eq!(
            field_value(&page, "value").unwrap(),
            value,
            "what was typed is kept"
        );
    }
    let count: i64 = sqlx::query_scalar("select count(*) from measurements")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let bad = pm
        .post(
            &format!("/produits/{slug}/indicateurs"),
            &[
                ("name", "Délai"),
                ("kind", "impact"),
                ("unit", "jours"),
                ("direction", "baisse"),
                ("baseline_value", "30"),
                ("baseline_date", &days_ago(10)),
                ("target_value", "30"),
                ("target_date", &days_ago(20)),
                ("target_value", "40"),
                ("target_date", &in_days(20)),
                ("frequency", "mensuelle"),
                ("source", "base-metier"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text("#target_date_1-erreur")
            .contains("doit suivre la date de la valeur de référence")
    );
    assert!(
        bad.text("#target_value_2-erreur")
            .contains("inférieure à la valeur de référence")
    );
    let duplicate = pm
        .post(
            &format!("/produits/{slug}/indicateurs"),
            &[
                ("name", "satisfaction"),
                ("kind", "succes"),
                ("unit", "%"),
                ("direction", "plage"),
                ("range_low", "1"),
                ("range_high", "2"),
                ("baseline_value", "1"),
                ("baseline_date", &days_ago(1)),
                ("frequency", "annuelle"),
                ("source", "autre"),
            ],
        )
        .await;
    assert_eq!(
        duplicate.text("#name-erreur"),
        "Un autre indicateur de ce produit porte déjà ce nom."
    );
    let indicators: i64 = sqlx::query_scalar("select count(*) from indicators")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(indicators, 1);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_library_prefills_the_form_with_the_products_typology_first(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Démarche").await;
    let library = pm
        .get(&format!("/produits/{slug}/indicateurs/bibliotheque"))
        .await;
    let groups = library.texts("main h2");
    assert!(
        groups[0].starts_with("Formulaires et démarches en ligne")
            && groups[0].contains("typologie du produit"),
        "{groups:?}"
    );
    let form = pm
        .get(&format!(
            "/produits/{slug}/indicateurs/nouveau?modele=satisfaction"
        ))
        .await;
    assert_eq!(
        field_value(&form, "name").unwrap(),
        "Satisfaction des utilisateurs"
    );
    assert_eq!(field_value(&form, "unit").unwrap(), "note /10");
    assert_eq!(field_value(&form, "target_value_1").unwrap(), "8");
    assert!(
        form.text(".fr-alert--info")
            .contains("Pré-rempli depuis le modèle")
    );
    let checked = form.html();
    let kind = checked
        .select(&scraper::Selector::parse("input[name=kind][checked]").unwrap())
        .next()
        .unwrap();
    assert_eq!(kind.value().attr("value"), Some("succes"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn csv_import_previews_every_line_then_commits_the_valid_ones(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Import").await;
    let url = satisfaction(&mut pm, &slug, "").await;
    measure(&mut pm, &url, &days_ago(30), "6,5").await;
    let import = format!("/produits/{slug}/indicateurs/import");
    assert_eq!(pm.get(&import).await.status, StatusCode::OK);

    let csv = format!(
        "\u{feff}indicateur,date,valeur,commentaire\r\nSatisfaction,{},\"6,9\",remplace\r\nSatisfaction,{},7.1,\r\nInconnu,{},7,\r\nSatisfaction,31/02/2026,7,\r\n",
        days_ago(30),
        days_ago(10),
        days_ago(5)
    );
    let preview = upload(&mut pm, &import, csv.as_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text("main"));
    assert_eq!(
        preview.text("#bilan"),
        "1 nouvelle(s) mesure(s), 1 remplacement(s), 2 ligne(s) en erreur. Rien n’est enregistré tant que vous n’avez pas confirmé."
    );
    let rows = preview.texts("#apercu tbody tr");
    assert!(rows[0].contains("Remplace") && rows[0].contains("6,5/10"));
    assert!(rows[2].contains("Aucun indicateur « Inconnu »"));
    let count: i64 = sqlx::query_scalar("select count(*) from measurements")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing saved before confirming");

    let content = field_value(&preview, "content").unwrap_or_else(|| {
        let html = preview.html();
        html.select(&scraper::Selector::parse("input[name=content]").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_owned()
    });
    let done = pm
        .post(&format!("{import}/confirmer"), &[("content", &content)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = pm.get(&url).await;
    assert_eq!(page.texts("#mesures tbody tr").len(), 2);
    assert_eq!(page.text("#derniere-valeur"), "7,1/10");

    // Wrong columns: refused as a whole, with the expected columns named.
    let wrong = upload(&mut pm, &import, "nom;jour;chiffre\nx;y;z\n".as_bytes()).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text("#fichier-erreur")
            .starts_with("Colonnes attendues : indicateur ; date ; valeur ; commentaire")
    );
    // An empty file, chosen: said so, not "choose a file".
    let empty = upload(&mut pm, &import, b"").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.text("#fichier-erreur"), "Le fichier est vide.");
    // Far too big: the 413 page says so.
    let huge = vec![b'a'; 2 * 1024 * 1024];
    let too_big = upload(&mut pm, &import, &huge).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(too_big.text("main").contains("1 Mio"));
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn export_then_import_round_trips(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Aller-retour").await;
    let url = satisfaction(&mut pm, &slug, "").await;
    for (d, v) in [(40, "6,25"), (20, "1 234,5"), (3, "-2")] {
        measure(&mut pm, &url, &days_ago(d), v).await;
    }
    let export = pm
        .get(&format!("/produits/{slug}/indicateurs/mesures.csv"))
        .await;
    assert_eq!(
        export.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(export.body.starts_with('\u{feff}'));
    let before: Vec<(chrono::NaiveDate, f64)> =
        sqlx::query_as("select measured_on, value from measurements order by measured_on")
            .fetch_all(&app.db)
            .await
            .unwrap();
    sqlx::query("delete from measurements")
        .execute(&app.db)
        .await
        .unwrap();
    let import = format!("/produits/{slug}/indicateurs/import");
    let preview = upload(&mut pm, &import, export.body.as_bytes()).await;
    assert!(
        preview
            .text("#bilan")
            .starts_with("3 nouvelle(s) mesure(s), 0 remplacement(s), 0 ligne(s) en erreur")
    );
    let html = preview.html();
    let content = html
        .select(&scraper::Selector::parse("input[name=content]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    pm.post(&format!("{import}/confirmer"), &[("content", &content)])
        .await;
    let after: Vec<(chrono::NaiveDate, f64)> =
        sqlx::query_as("select measured_on, value from measurements order by measured_on")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(before, after);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn concurrent_indicator_edits_and_permissions(db: PgPool) {
    let app = TestApp::new(db);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut admin, &app.db, "Partagé").await;
    let url = satisfaction(&mut admin, &slug, "").await;
    let form = admin.get(&format!("{url}/modifier")).await;
    let version = field_value(&form, "version").unwrap();
    let fields = |owner: &str| {
        vec![
            ("name".to_owned(), "Satisfaction".to_owned()),
            ("kind".into(), "succes".into()),
            ("unit".into(), "note /10".into()),
            ("direction".into(), "hausse".into()),
            ("baseline_value".into(), "6".into()),
            (
                "baseline_date".into(),
                field_value(&form, "baseline_date").unwrap(),
            ),
            ("target_value".into(), "8".into()),
            (
                "target_date".into(),
                field_value(&form, "target_date_1").unwrap(),
            ),
            ("frequency".into(), "mensuelle".into()),
            ("source".into(), "jdma".into()),
            ("owner".into(), owner.to_owned()),
            ("version".into(), version.clone()),
        ]
    };
    let refs = |f: &Vec<(String, String)>| {
        f.iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect::<Vec<_>>()
    };
    let first = refs(&fields("Alice"));
    let first: Vec<(&str, &str)> = first
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        admin.post(&format!("{url}/modifier"), &first).await.status,
        StatusCode::SEE_OTHER
    );
    let second = refs(&fields("Bruno"));
    let second: Vec<(&str, &str)> = second
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let conflict = admin.post(&format!("{url}/modifier"), &second).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let row = conflict
        .texts(".bsl-conflict tbody tr")
        .into_iter()
        .find(|r| r.starts_with("Responsable"))
        .unwrap();
    assert!(row.contains("Alice") && row.contains("Bruno"));
    assert_eq!(field_value(&conflict, "owner").unwrap(), "Bruno");
    let owner: String = sqlx::query_scalar("select owner from indicators")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(owner, "Alice");

    for role in [Role::Reader, Role::Editor] {
        let (mut other, _) = app.signed_in(role).await;
        assert_eq!(
            other.get(&url).await.status,
            StatusCode::OK,
            "everyone reads"
        );
        assert!(
            !other
                .get(&url)
                .await
                .text("main")
                .contains("Saisir une mesure")
        );
        for page in [
            other
                .post(&format!("/produits/{slug}/indicateurs"), &[("name", "X")])
                .await,
            other.post(&format!("{url}/modifier"), &second).await,
            other
                .post(
                    &format!("{url}/mesures"),
                    &[("date", &days_ago(1)), ("value", "7")],
                )
                .await,
            other
                .post(&format!("/produits/{slug}/objectifs"), &[("title", "X")])
                .await,
            other
                .post(
                    &format!("/produits/{slug}/indicateurs/import/confirmer"),
                    &[(
                        "content",
                        "indicateur;date;valeur\nSatisfaction;01/01/2026;1",
                    )],
                )
                .await,
            other
                .get(&format!("/produits/{slug}/indicateurs/import"))
                .await,
        ] {
            assert_eq!(page.status, StatusCode::FORBIDDEN);
        }
    }
    let count: i64 = sqlx::query_scalar("select count(*) from measurements")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_dashboard_counts_indicator_statuses_with_constant_queries(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let late = create_product(&mut pm, &app.db, "En difficulté").await;
    let fine = create_product(&mut pm, &app.db, "Serein").await;
    let late_url = satisfaction(&mut pm, &late, "").await;
    measure(&mut pm, &late_url, &days_ago(1), "5").await;
    let fine_url = satisfaction(&mut pm, &fine, "").await;
    measure(&mut pm, &fine_url, &days_ago(1), "7,5").await;

    let page = pm.get("/?tri=indicateurs&ordre=desc").await;
    let rows = page.texts("#portefeuille tbody tr");
    assert!(
        rows[0].starts_with("En difficulté") && rows[0].contains("1 en retard"),
        "{rows:?}"
    );
    assert!(rows[1].contains("1 en bonne voie"));
    let filtered = pm.get("/?indicateurs=en-retard").await;
    assert_eq!(
        filtered.texts("#portefeuille tbody tr th"),
        ["En difficulté"]
    );
    let sheet = pm.get(&format!("/produits/{late}")).await;
    assert!(sheet.text("#indicateurs").contains("En retard"));

    // Each measured once the rows are read (by the view before it) and before that view of
    // the page was kept whole (see web::memo::Rendered).
    pm.get("/").await;
    let (_, few) = count_queries(pm.get("/?tri=indicateurs")).await;
    for i in 0..20 {
        let slug = create_product(&mut pm, &app.db, &format!("Produit {i}")).await;
        let url = satisfaction(&mut pm, &slug, "").await;
        measure(&mut pm, &url, &days_ago(3), "7").await;
    }
    pm.get("/").await;
    let (_, many) = count_queries(pm.get("/?tri=indicateurs")).await;
    assert_eq!(few, many);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn words_follow_french_grammar_and_keep_direction_for_one_meaning(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Mots justes").await;
    let form = pm
        .get(&format!("/produits/{slug}/indicateurs/nouveau"))
        .await;
    assert!(
        form.text("label[for=direction]")
            .starts_with("Sens souhaité (hausse / baisse / fourchette)")
    );
    let created = pm
        .submit(
            &form,
            "main form",
            &[
                ("name", "Délai de traitement"),
                ("kind", "impact"),
                ("unit", "jours"),
                ("direction", "baisse"),
                ("baseline_value", "40"),
                ("baseline_date", &days_ago(100)),
                ("target_value", "20"),
                ("target_date", &in_days(200)),
                ("frequency", "mensuelle"),
                ("source", "jdma"),
            ],
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{}",
        created.text("main")
    );
    let page = pm.get(created.location().unwrap()).await;
    assert!(
        page.text("main .fr-badge").contains("Indicateur d’impact"),
        "{}",
        page.text("main .fr-badge")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_measurement_older_than_the_baseline_waits_for_confirmation(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Répit").await;
    let url = satisfaction(&mut pm, &slug, "").await;
    let page = pm.get(&url).await;
    let held = pm
        .submit(
            &page,
            "form[action$='/mesures']",
            &[
                ("date", &days_ago(200)),
                ("value", "5,5"),
                ("comment", "Avant le lancement"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        held.text("#avertissements")
            .contains("précède la date de référence de l’indicateur"),
        "{}",
        held.text("main")
    );
    assert_eq!(
        field_value(&held, "comment").as_deref(),
        Some("Avant le lancement")
    );
    assert!(pm.get(&url).await.texts("#mesures tbody tr").is_empty());
    let saved = pm
        .submit(&held, "form[action$='/mesures']", &[("confirmer", "oui")])
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    assert_eq!(pm.get(&url).await.texts("#mesures tbody tr").len(), 1);
}
