use chrono::Duration;
use sea_orm::{DatabaseConnection, PaginatorTrait};

use super::*;
use crate::entities::{logs, user_agent_licenses};
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

fn ask(agent: &agent_catalog::Model, reason: &str) -> NewAccessRequest {
    NewAccessRequest {
        agent_id: agent.id.clone(),
        reason: reason.to_owned(),
    }
}

fn page() -> PageRequest {
    PageRequest::default()
}

const TEN_CALLS: Approval = Approval {
    api_call_limit: 10,
    expires_at: None,
};

async fn audited(db: &DatabaseConnection, action: &str) -> u64 {
    logs::Entity::find()
        .filter(logs::Column::Action.eq(action))
        .count(db)
        .await
        .unwrap()
}

async fn a_user_asks_for_a_published_agent_sees_the_request_pending_and_it_is_audited(
    db: TestDatabase,
) {
    let db = fx::connect(&db).await;
    let user = fx::member(&db, "ana@example.com").await;
    let agent = fx::agent(&db, "summarizer", true).await;
    let request = create(
        &db,
        &fx::actor_from(&user, "10.0.0.7"),
        ask(&agent, "  I summarise reports  "),
    )
    .await
    .unwrap();
    assert_eq!(request.status, AccessRequestStatus::Pending);
    assert_eq!(
        audited(&db, "access_request.create").await,
        1,
        "asking is audited"
    );
    assert_eq!(request.request_reason, "I summarise reports");
    assert_eq!(
        (request.agent_slug.as_str(), request.user_email.as_str()),
        ("summarizer", "ana@example.com")
    );
    let mine = list_mine(&db, &fx::actor(&user), page()).await.unwrap();
    assert_eq!(mine.items, vec![request]);
    let json = serde_json::to_value(&mine.items[0]).unwrap();
    assert_eq!(json["status"], "pending");
    assert!(json.get("reviewNote").is_some());
}
crate::on_every_database!(
    a_user_asks_for_a_published_agent_sees_the_request_pending_and_it_is_audited,
    super::a_user_asks_for_a_published_agent_sees_the_request_pending_and_it_is_audited
);

async fn a_reason_that_is_empty_too_long_or_has_nul_bytes_is_invalid_and_nothing_is_written(
    db: TestDatabase,
) {
    let db = fx::connect(&db).await;
    let user = fx::member(&db, "ana@example.com").await;
    let agent = fx::agent(&db, "summarizer", true).await;
    for reason in ["", "   ", "a\0b", &"x".repeat(MAX_REASON_CHARS + 1)] {
        let result = create(&db, &fx::actor(&user), ask(&agent, reason)).await;
        assert!(
            matches!(result, Err(CoreError::Invalid { ref field, .. }) if field == "requestReason"),
            "{result:?}"
        );
    }
    assert!(create(
        &db,
        &fx::actor(&user),
        ask(&agent, &"x".repeat(MAX_REASON_CHARS))
    )
    .await
    .is_ok());
    assert_eq!(fx::count::<requests::Entity>(&db).await, 1);
}
crate::on_every_database!(
    a_reason_that_is_empty_too_long_or_has_nul_bytes_is_invalid_and_nothing_is_written,
    super::a_reason_that_is_empty_too_long_or_has_nul_bytes_is_invalid_and_nothing_is_written
);

async fn unknown_unpublished_or_malformed_agents_are_not_found(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let user = fx::member(&db, "ana@example.com").await;
    let hidden = fx::agent(&db, "hidden", false).await;
    for agent_id in [
        hidden.id.clone(),
        new_id(),
        "'; DELETE FROM users; --".to_owned(),
    ] {
        let result = create(
            &db,
            &fx::actor(&user),
            NewAccessRequest {
                agent_id,
                reason: "please".into(),
            },
        )
        .await;
        assert!(
            matches!(result, Err(CoreError::NotFound { entity: "agent" })),
            "{result:?}"
        );
    }
    assert!(matches!(
        get(&db, "nope").await,
        Err(CoreError::NotFound { .. })
    ));
    assert_eq!(fx::count::<requests::Entity>(&db).await, 0);
}
crate::on_every_database!(
    unknown_unpublished_or_malformed_agents_are_not_found,
    super::unknown_unpublished_or_malformed_agents_are_not_found
);

async fn asking_twice_or_while_licensed_is_a_conflict(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let admin = fx::super_admin(&db, "admin@example.com").await;
    let user = fx::member(&db, "ana@example.com").await;
    let summarizer = fx::agent(&db, "summarizer", true).await;
    let translator = fx::agent(&db, "translator", true).await;
    create(&db, &fx::actor(&user), ask(&summarizer, "first"))
        .await
        .unwrap();
    let twice = create(&db, &fx::actor(&user), ask(&summarizer, "second")).await;
    assert!(matches!(twice, Err(CoreError::Conflict(_))), "{twice:?}");
    let license = fx::license(&db, &admin, &user, &translator, 5).await;
    let licensed = create(&db, &fx::actor(&user), ask(&translator, "more")).await;
    assert!(
        matches!(licensed, Err(CoreError::Conflict(_))),
        "{licensed:?}"
    );
    // Once the license has expired, asking again is how it gets renewed.
    fx::set_license_expiry(&db, &license.id, Some(Utc::now() - Duration::minutes(1))).await;
    create(&db, &fx::actor(&user), ask(&translator, "renew please"))
        .await
        .unwrap();
    assert_eq!(fx::count::<requests::Entity>(&db).await, 2);
}
crate::on_every_database!(
    asking_twice_or_while_licensed_is_a_conflict,
    super::asking_twice_or_while_licensed_is_a_conflict
);

async fn concurrent_requests_leave_exactly_one_pending(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let user = fx::member(&db, "ana@example.com").await;
    let agent = fx::agent(&db, "summarizer", true).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (db, actor, request) = (db.clone(), fx::actor(&user), ask(&agent, "please"));
            tokio::spawn(async move { create(&db, &actor, request).await })
        })
        .collect();
    assert_eq!(fx::successes_among_conflicts(tasks).await, 1);
    assert_eq!(fx::count::<requests::Entity>(&db).await, 1);
}
crate::on_every_database!(
    concurrent_requests_leave_exactly_one_pending,
    super::concurrent_requests_leave_exactly_one_pending
);

async fn approving_grants_the_license_in_the_same_transaction_and_audits_both(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let request = create(&db, &fx::actor(&user), ask(&agent, "please"))
        .await
        .unwrap();
    let expires_at = Some(Utc::now() + Duration::days(7));
    let approved = approve(
        &db,
        &fx::actor_from(&admin, "10.0.0.9"),
        &request.id,
        Approval {
            api_call_limit: 3,
            expires_at,
        },
    )
    .await
    .unwrap();
    assert_eq!(approved.request.status, AccessRequestStatus::Approved);
    assert_eq!(
        approved.request.reviewed_by.as_deref(),
        Some(admin.id.as_str())
    );
    assert!(approved.request.reviewed_at.is_some());
    assert_eq!(
        (
            approved.license.user_id.as_str(),
            approved.license.agent_id.as_str()
        ),
        (user.id.as_str(), agent.id.as_str())
    );
    assert_eq!(approved.license.api_call_limit, 3);
    assert_eq!(audited(&db, "access_request.approve").await, 1);
    assert_eq!(audited(&db, "license.grant").await, 1);
    let again = approve(&db, &fx::actor(&admin), &request.id, TEN_CALLS).await;
    assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
    let rejected = reject(&db, &fx::actor(&admin), &request.id, "too late").await;
    assert!(
        matches!(rejected, Err(CoreError::Conflict(_))),
        "{rejected:?}"
    );
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
}
crate::on_every_database!(
    approving_grants_the_license_in_the_same_transaction_and_audits_both,
    super::approving_grants_the_license_in_the_same_transaction_and_audits_both
);

async fn an_approval_that_cannot_grant_changes_nothing(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let request = create(&db, &fx::actor(&user), ask(&agent, "please"))
        .await
        .unwrap();
    fx::license(&db, &admin, &user, &agent, 5).await;
    let result = approve(&db, &fx::actor(&admin), &request.id, TEN_CALLS).await;
    assert!(matches!(result, Err(CoreError::Conflict(_))), "{result:?}");
    assert_eq!(
        get(&db, &request.id).await.unwrap().status,
        AccessRequestStatus::Pending
    );
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
    assert_eq!(audited(&db, "access_request.approve").await, 0);

    for limit in [-7, i64::MAX] {
        let bad = approve(
            &db,
            &fx::actor(&admin),
            &request.id,
            Approval {
                api_call_limit: limit,
                expires_at: None,
            },
        )
        .await;
        assert!(
            matches!(bad, Err(CoreError::Invalid { ref field, .. }) if field == "apiCallLimit")
        );
    }
    let past = Approval {
        api_call_limit: 1,
        expires_at: Some(Utc::now() - Duration::hours(1)),
    };
    let bad = approve(&db, &fx::actor(&admin), &request.id, past).await;
    assert!(matches!(bad, Err(CoreError::Invalid { ref field, .. }) if field == "expiresAt"));
    let unknown = approve(&db, &fx::actor(&admin), "42", TEN_CALLS).await;
    assert!(matches!(unknown, Err(CoreError::NotFound { .. })));
    assert_eq!(
        get(&db, &request.id).await.unwrap().status,
        AccessRequestStatus::Pending
    );
}
crate::on_every_database!(
    an_approval_that_cannot_grant_changes_nothing,
    super::an_approval_that_cannot_grant_changes_nothing
);

async fn rejecting_needs_a_note_and_the_user_sees_it(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let request = create(&db, &fx::actor(&user), ask(&agent, "please"))
        .await
        .unwrap();
    for note in [
        "",
        "  ",
        "bad\0note",
        &"n".repeat(MAX_REVIEW_NOTE_CHARS + 1),
    ] {
        let result = reject(&db, &fx::actor(&admin), &request.id, note).await;
        assert!(
            matches!(result, Err(CoreError::Invalid { ref field, .. }) if field == "reviewNote"),
            "{result:?}"
        );
    }
    assert_eq!(audited(&db, "access_request.reject").await, 0);
    let rejected = reject(
        &db,
        &fx::actor(&admin),
        &request.id,
        "Use the translator instead",
    )
    .await
    .unwrap();
    assert_eq!(rejected.status, AccessRequestStatus::Rejected);
    let mine = list_mine(&db, &fx::actor(&user), page()).await.unwrap();
    assert_eq!(
        mine.items[0].review_note.as_deref(),
        Some("Use the translator instead")
    );
    assert_eq!(audited(&db, "access_request.reject").await, 1);
    // A rejected request does not block asking again.
    create(&db, &fx::actor(&user), ask(&agent, "please, again"))
        .await
        .unwrap();
}
crate::on_every_database!(
    rejecting_needs_a_note_and_the_user_sees_it,
    super::rejecting_needs_a_note_and_the_user_sees_it
);

async fn the_admin_list_puts_pending_first_and_filters_by_status_agent_and_dates(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let admin = fx::super_admin(&db, "admin@example.com").await;
    let ana = fx::member(&db, "ana@example.com").await;
    let bob = fx::member(&db, "bob@example.com").await;
    let summarizer = fx::agent(&db, "summarizer", true).await;
    let translator = fx::agent(&db, "translator", true).await;
    let first = create(&db, &fx::actor(&ana), ask(&summarizer, "one"))
        .await
        .unwrap();
    let second = create(&db, &fx::actor(&bob), ask(&summarizer, "two"))
        .await
        .unwrap();
    let third = create(&db, &fx::actor(&ana), ask(&translator, "three"))
        .await
        .unwrap();
    reject(&db, &fx::actor(&admin), &third.id, "no")
        .await
        .unwrap();

    let all = list(&db, &AccessRequestFilter::default(), page())
        .await
        .unwrap();
    let ids: Vec<_> = all.items.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        ids,
        vec![second.id.clone(), first.id.clone(), third.id.clone()]
    );

    let pending = AccessRequestFilter {
        status: Some(AccessRequestStatus::Pending),
        ..Default::default()
    };
    assert_eq!(list(&db, &pending, page()).await.unwrap().total, 2);
    let by_agent = AccessRequestFilter {
        agent_id: Some(translator.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        list(&db, &by_agent, page()).await.unwrap().items[0].id,
        third.id
    );
    let future = AccessRequestFilter {
        from: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(list(&db, &future, page()).await.unwrap().total, 0);
    let past = AccessRequestFilter {
        to: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(list(&db, &past, page()).await.unwrap().total, 3);

    let inverted = AccessRequestFilter {
        from: Some(Utc::now()),
        to: Some(Utc::now() - Duration::days(1)),
        ..Default::default()
    };
    assert!(
        matches!(list(&db, &inverted, page()).await, Err(CoreError::Invalid { ref field, .. }) if field == "from")
    );
    let bad_agent = AccessRequestFilter {
        agent_id: Some("x\0".into()),
        ..Default::default()
    };
    assert!(
        matches!(list(&db, &bad_agent, page()).await, Err(CoreError::Invalid { ref field, .. }) if field == "agentId")
    );

    // Each user sees only their own.
    let bobs = list_mine(&db, &fx::actor(&bob), page()).await.unwrap();
    assert_eq!(
        bobs.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        vec![second.id]
    );
    let unknown = Actor {
        user_id: "junk".into(),
        ..fx::actor(&bob)
    };
    assert_eq!(list_mine(&db, &unknown, page()).await.unwrap().total, 0);
}
crate::on_every_database!(
    the_admin_list_puts_pending_first_and_filters_by_status_agent_and_dates,
    super::the_admin_list_puts_pending_first_and_filters_by_status_agent_and_dates
);
