use chrono::{Duration, Utc};

use super::*;
use crate::entities::{logs, user_agent_licenses};
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;
use abetworks_types::Vocabulary;

/// The licenses `filter` lists on the first page.
async fn listed(db: &DatabaseConnection, filter: &LicenseFilter) -> Vec<LicenseView> {
    list(db, filter, page()).await.unwrap().items
}

fn grant_of(user: &users::Model, agent: &agent_catalog::Model, limit: i64) -> GrantLicense {
    GrantLicense {
        user_id: user.id.clone(),
        agent_id: agent.id.clone(),
        api_call_limit: limit,
        expires_at: None,
        plan: QuotaPlan::default(),
    }
}

#[test]
fn a_live_license_past_its_expiry_reads_as_expired_and_revoked_stays_revoked() {
    let now = Utc::now();
    let past = Some(now - Duration::seconds(1));
    assert_eq!(
        EffectiveStatus::of(LicenseStatus::Active, past, now),
        EffectiveStatus::Expired
    );
    assert_eq!(
        EffectiveStatus::of(LicenseStatus::Suspended, past, now),
        EffectiveStatus::Expired
    );
    assert_eq!(
        EffectiveStatus::of(LicenseStatus::Revoked, past, now),
        EffectiveStatus::Revoked
    );
    assert_eq!(
        EffectiveStatus::of(LicenseStatus::Active, None, now),
        EffectiveStatus::Active
    );
}

#[test]
fn limits_outside_minus_one_to_ten_million_are_invalid() {
    for ok in [-1, 0, 1, MAX_API_CALL_LIMIT] {
        assert!(validate_limit(ok).is_ok(), "{ok}");
    }
    for bad in [-2, i64::MIN, MAX_API_CALL_LIMIT + 1, i64::MAX] {
        let result = validate_limit(bad);
        assert!(
            matches!(result, Err(CoreError::Invalid { field, .. }) if field == "apiCallLimit"),
            "{bad}"
        );
    }
}

#[test]
fn unknown_status_filters_are_invalid() {
    assert_eq!(
        EffectiveStatus::parse_field("status", "expired").unwrap(),
        EffectiveStatus::Expired
    );
    assert!(EffectiveStatus::parse_field("status", "ACTIVE'--").is_err());
}

async fn granting_shows_the_user_the_agent_and_the_full_quota_and_is_audited(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let view = grant(
        &db,
        &fx::actor_from(&admin, "10.0.0.1"),
        grant_of(&user, &agent, 10),
    )
    .await
    .unwrap();
    assert_eq!(view.user_email, "ana@example.com");
    assert_eq!(view.agent_slug, "summarizer");
    assert_eq!(
        (view.api_call_limit, view.api_calls_used, view.remaining),
        (10, 0, Some(10))
    );
    assert_eq!(view.status, EffectiveStatus::Active);
    assert!(!view.near_limit && !view.exhausted);
    assert_eq!(view.granted_by.as_deref(), Some(admin.id.as_str()));
    let audit = logs::Entity::find().all(&db).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "license.grant");
    assert_eq!(audit[0].target_id.as_deref(), Some(view.id.as_str()));
    assert_eq!(audit[0].ip.as_deref(), Some("10.0.0.1"));
    let json = serde_json::to_value(&view).unwrap();
    assert!(json.get("apiCallLimit").is_some() && json.get("nearLimit").is_some());
}
crate::on_every_database!(granting_shows_the_user_the_agent_and_the_full_quota_and_is_audited);

async fn granting_twice_is_a_conflict_and_writes_nothing_more(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    grant(&db, &fx::actor(&admin), grant_of(&user, &agent, 10))
        .await
        .unwrap();
    let again = grant(&db, &fx::actor(&admin), grant_of(&user, &agent, 5)).await;
    assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
    assert_eq!(fx::count::<logs::Entity>(&db).await, 1);
}
crate::on_every_database!(granting_twice_is_a_conflict_and_writes_nothing_more);

async fn concurrent_grants_give_exactly_one_license(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (db, actor, grant) = (db.clone(), fx::actor(&admin), grant_of(&user, &agent, 3));
            tokio::spawn(async move { grant_license(&db, &actor, grant).await })
        })
        .collect();
    assert_eq!(fx::successes_among_conflicts(tasks).await, 1);
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
}
async fn grant_license(
    db: &DatabaseConnection,
    actor: &Actor,
    g: GrantLicense,
) -> CoreResult<LicenseView> {
    grant(db, actor, g).await
}
crate::on_every_database!(concurrent_grants_give_exactly_one_license);

async fn unknown_or_malformed_user_and_agent_ids_are_not_found(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    for user_id in [new_id(), "1; DROP TABLE users".to_owned(), String::new()] {
        let g = GrantLicense {
            user_id,
            ..grant_of(&user, &agent, 1)
        };
        let result = grant(&db, &fx::actor(&admin), g).await;
        assert!(
            matches!(result, Err(CoreError::NotFound { entity: "user" })),
            "{result:?}"
        );
    }
    for agent_id in [new_id(), "' OR 1=1 --".to_owned()] {
        let g = GrantLicense {
            agent_id,
            ..grant_of(&user, &agent, 1)
        };
        let result = grant(&db, &fx::actor(&admin), g).await;
        assert!(
            matches!(result, Err(CoreError::NotFound { entity: "agent" })),
            "{result:?}"
        );
    }
    assert!(matches!(
        get(&db, "nope").await,
        Err(CoreError::NotFound { entity: "license" })
    ));
    assert!(matches!(
        list_by_user(&db, &new_id(), page()).await,
        Err(CoreError::NotFound { entity: "user" })
    ));
    assert!(matches!(
        list_by_agent(&db, "x\0y", page()).await,
        Err(CoreError::NotFound { entity: "agent" })
    ));
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 0);
}
crate::on_every_database!(unknown_or_malformed_user_and_agent_ids_are_not_found);

async fn absurd_limits_and_past_expiry_are_invalid_and_write_nothing(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    for limit in [-2, -1000, MAX_API_CALL_LIMIT + 1, i64::MAX] {
        let result = grant(&db, &fx::actor(&admin), grant_of(&user, &agent, limit)).await;
        fx::assert_invalid(&result, "apiCallLimit");
    }
    let past = GrantLicense {
        expires_at: Some(Utc::now() - Duration::minutes(1)),
        ..grant_of(&user, &agent, 5)
    };
    let result = grant(&db, &fx::actor(&admin), past).await;
    fx::assert_invalid(&result, "expiresAt");
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 0);
    assert_eq!(fx::count::<logs::Entity>(&db).await, 0);
}
crate::on_every_database!(absurd_limits_and_past_expiry_are_invalid_and_write_nothing);

async fn lists_filter_by_user_agent_effective_status_and_search(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, translator) = fx::crowd(&db).await;
    let ana_sum = fx::license(&db, &admin, &ana, &summarizer, 10).await;
    let ana_tr = fx::license(&db, &admin, &ana, &translator, 10).await;
    let bob_sum = fx::license(&db, &admin, &bob, &summarizer, -1).await;
    fx::set_license_expiry(&db, &ana_tr.id, Some(Utc::now() - Duration::hours(1))).await;
    revoke(&db, &fx::actor(&admin), &bob_sum.id).await.unwrap();

    let all = list(&db, &LicenseFilter::default(), page()).await.unwrap();
    assert_eq!(all.total, 3);
    let by_ana = list_by_user(&db, &ana.id, page()).await.unwrap();
    assert_eq!(by_ana.total, 2);
    let by_summarizer = list_by_agent(&db, &summarizer.id, page()).await.unwrap();
    assert_eq!(by_summarizer.total, 2);

    let ids_with = async |status| {
        let filter = fx::default_with(|f: &mut LicenseFilter| f.status = Some(status));
        fx::pairs(&listed(&db, &filter).await, |l| l.id.clone())
    };
    assert_eq!(
        ids_with(EffectiveStatus::Active).await,
        [ana_sum.id.as_str()]
    );
    assert_eq!(
        ids_with(EffectiveStatus::Expired).await,
        [ana_tr.id.as_str()]
    );
    assert_eq!(
        ids_with(EffectiveStatus::Revoked).await,
        [bob_sum.id.as_str()]
    );
    assert!(ids_with(EffectiveStatus::Suspended).await.is_empty());
    let expired = get(&db, &ana_tr.id).await.unwrap();
    assert_eq!(expired.status, EffectiveStatus::Expired);

    let search = |q: &str| LicenseFilter {
        query: Some(q.to_owned()),
        ..Default::default()
    };
    assert_eq!(list(&db, &search("BOB@"), page()).await.unwrap().total, 1);
    assert_eq!(
        list(&db, &search("agent transl"), page())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(list(&db, &search("%"), page()).await.unwrap().total, 0);
    assert_eq!(
        list(&db, &search("' OR 1=1 --"), page())
            .await
            .unwrap()
            .total,
        0
    );
    let nul = list(&db, &search("a\0b"), page()).await;
    fx::assert_invalid(&nul, "q");
    let long = list(&db, &search(&"x".repeat(500)), page()).await;
    fx::assert_invalid(&long, "q");
    let bad_user = fx::default_with(|f: &mut LicenseFilter| f.user_id = Some("not-an-id".into()));
    let bad = list(&db, &bad_user, page()).await;
    fx::assert_invalid(&bad, "userId");

    let one = list(
        &db,
        &LicenseFilter::default(),
        PageRequest::new(Some(2), Some(2)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        (one.total, one.items.len(), one.page, one.page_size),
        (3, 1, 2, 2)
    );
}
crate::on_every_database!(lists_filter_by_user_agent_effective_status_and_search);

async fn updating_changes_limit_expiry_and_status_and_audits_before_and_after(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 10).await;
    let expiry = Utc::now() + Duration::days(30);
    let change = LicenseChange {
        api_call_limit: Some(50),
        expires_at: Some(Some(expiry)),
        status: Some(LicenseStatus::Suspended),
        ..Default::default()
    };
    let view = update(&db, &fx::actor(&admin), &license.id, change, Utc::now())
        .await
        .unwrap();
    assert_eq!(view.api_call_limit, 50);
    assert_eq!(view.status, EffectiveStatus::Suspended);
    assert_eq!(
        view.expires_at.map(|e| e.timestamp()),
        Some(expiry.timestamp())
    );
    let reactivated = LicenseChange {
        status: Some(LicenseStatus::Active),
        expires_at: Some(None),
        ..Default::default()
    };
    let view = update(
        &db,
        &fx::actor(&admin),
        &license.id,
        reactivated,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        (view.status, view.expires_at),
        (EffectiveStatus::Active, None)
    );
    let audit = logs::Entity::find()
        .filter(logs::Column::Action.eq("license.update"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit
        .iter()
        .all(|a| a.before.is_some() && a.after.is_some()));

    let bad = update(
        &db,
        &fx::actor(&admin),
        &license.id,
        LicenseChange {
            api_call_limit: Some(-5),
            ..Default::default()
        },
        Utc::now(),
    )
    .await;
    fx::assert_invalid(&bad, "apiCallLimit");
    let revoke_by_update = LicenseChange {
        status: Some(LicenseStatus::Revoked),
        ..Default::default()
    };
    let bad = update(
        &db,
        &fx::actor(&admin),
        &license.id,
        revoke_by_update,
        Utc::now(),
    )
    .await;
    fx::assert_invalid(&bad, "status");
    let unknown = update(
        &db,
        &fx::actor(&admin),
        "nope",
        LicenseChange::default(),
        Utc::now(),
    )
    .await;
    assert!(matches!(unknown, Err(CoreError::NotFound { .. })));
    assert_eq!(get(&db, &license.id).await.unwrap().api_call_limit, 50);
    assert_eq!(fx::count::<logs::Entity>(&db).await, 3);
}
crate::on_every_database!(updating_changes_limit_expiry_and_status_and_audits_before_and_after);

async fn revoking_is_final_audited_and_frees_the_slot_for_a_new_grant(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 10).await;
    let revoked = revoke(&db, &fx::actor(&admin), &license.id).await.unwrap();
    assert_eq!(revoked.status, EffectiveStatus::Revoked);
    assert!(matches!(
        revoke(&db, &fx::actor(&admin), &license.id).await,
        Err(CoreError::Conflict(_))
    ));
    let change = LicenseChange {
        api_call_limit: Some(5),
        ..Default::default()
    };
    assert!(matches!(
        update(&db, &fx::actor(&admin), &license.id, change, Utc::now()).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        revoke(&db, &fx::actor(&admin), "1=1").await,
        Err(CoreError::NotFound { .. })
    ));
    let audit = logs::Entity::find()
        .filter(logs::Column::Action.eq("license.revoke"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.actor_id.as_deref(), Some(admin.id.as_str()));
    fx::license(&db, &admin, &user, &agent, 3).await;
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 2);
}
crate::on_every_database!(revoking_is_final_audited_and_frees_the_slot_for_a_new_grant);

async fn an_expired_live_license_is_replaced_by_a_new_grant(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let old = fx::license(&db, &admin, &user, &agent, 10).await;
    fx::set_license_expiry(&db, &old.id, Some(Utc::now() - Duration::minutes(1))).await;
    let new = fx::license(&db, &admin, &user, &agent, 20).await;
    assert_eq!(new.status, EffectiveStatus::Active);
    assert_eq!(
        get(&db, &old.id).await.unwrap().status,
        EffectiveStatus::Revoked
    );
    let replaced = logs::Column::Action.eq("license.replace_expired");
    assert_eq!(fx::count_where::<logs::Entity>(&db, replaced).await, 1);
}
crate::on_every_database!(an_expired_live_license_is_replaced_by_a_new_grant);

async fn near_limit_and_exhausted_follow_the_counter(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 5).await;
    for _ in 0..4 {
        assert!(fx::admit(&db, &license.id, Utc::now()).await);
    }
    let view = get(&db, &license.id).await.unwrap();
    assert!(view.near_limit && !view.exhausted);
    assert_eq!(view.remaining, Some(1));
    assert!(fx::admit(&db, &license.id, Utc::now()).await);
    let view = get(&db, &license.id).await.unwrap();
    assert!(view.exhausted);
    assert_eq!(view.remaining, Some(0));
}
crate::on_every_database!(near_limit_and_exhausted_follow_the_counter);

async fn lists_sort_by_user_usage_and_expiry_with_never_as_the_latest(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let admin = fx::super_admin(&db, "admin@example.com").await;
    let summarizer = fx::agent(&db, "summarizer", true).await;
    let translator = fx::agent(&db, "translator", true).await;
    let ana = fx::member(&db, "ana@example.com").await;
    let bob = fx::member(&db, "bob@example.com").await;
    let cara = fx::member(&db, "cara@example.com").await;
    let now = Utc::now();
    for (user, agent, used, expires_at) in [
        (&ana, &summarizer, 7, Some(now + Duration::days(10))),
        (&bob, &translator, 2, None),
        (&cara, &summarizer, 5, Some(now + Duration::days(2))),
    ] {
        let license = fx::license(&db, &admin, user, agent, 100).await;
        fx::set_license_expiry(&db, &license.id, expires_at).await;
        user_agent_licenses::Entity::update_many()
            .col_expr(user_agent_licenses::Column::ApiCallsUsed, Expr::value(used))
            .filter(user_agent_licenses::Column::Id.eq(&license.id))
            .exec(&db)
            .await
            .unwrap();
    }
    let emails_sorted_by = async |sort: &str| {
        let filter =
            fx::default_with(|f: &mut LicenseFilter| f.sort = LicenseSort::parse(sort).unwrap());
        fx::pairs(&listed(&db, &filter).await, |l| l.user_email.clone())
    };
    let (a, b, c) = ("ana@example.com", "bob@example.com", "cara@example.com");
    assert_eq!(emails_sorted_by("-granted").await, [c, b, a]);
    assert_eq!(emails_sorted_by("granted").await, [a, b, c]);
    assert_eq!(emails_sorted_by("user").await, [a, b, c]);
    assert_eq!(emails_sorted_by("-user").await, [c, b, a]);
    assert_eq!(emails_sorted_by("agent").await, [c, a, b]);
    assert_eq!(emails_sorted_by("used").await, [b, c, a]);
    assert_eq!(emails_sorted_by("-used").await, [a, c, b]);
    assert_eq!(emails_sorted_by("expires").await, [c, a, b]);
    assert_eq!(emails_sorted_by("-expires").await, [b, a, c]);
}
crate::on_every_database!(lists_sort_by_user_usage_and_expiry_with_never_as_the_latest);
