use chrono::Duration;
use sea_orm::DatabaseConnection;

use super::*;
use crate::entities::enums::QuotaWindow;
use crate::entities::{logs, user_agent_licenses};
use crate::licenses::LicenseView;
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;

mod for_organizations;

fn ask(agent: &agent_catalog::Model, reason: &str) -> NewAccessRequest {
    NewAccessRequest {
        agent_id: agent.id.clone(),
        reason: reason.to_owned(),
        requested_calls: None,
        for_organization: false,
    }
}

const TEN_CALLS: Approval = Approval {
    api_call_limit: Some(10),
    expires_at: None,
    plan: None,
    top_up_calls: None,
    member_cap: None,
};

async fn audited(db: &DatabaseConnection, action: &str) -> u64 {
    fx::count_where::<logs::Entity>(db, logs::Column::Action.eq(action)).await
}

async fn a_user_asks_for_a_published_agent_sees_the_request_pending_and_it_is_audited(
    db: TestDatabase,
) {
    let (db, user, agent) = fx::customer(&db).await;
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
    a_user_asks_for_a_published_agent_sees_the_request_pending_and_it_is_audited
);

async fn a_reason_that_is_empty_too_long_or_has_nul_bytes_is_invalid_and_nothing_is_written(
    db: TestDatabase,
) {
    let (db, user, agent) = fx::customer(&db).await;
    for reason in ["", "   ", "a\0b", &"x".repeat(MAX_REASON_CHARS + 1)] {
        let result = create(&db, &fx::actor(&user), ask(&agent, reason)).await;
        fx::assert_invalid(&result, "requestReason");
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
    a_reason_that_is_empty_too_long_or_has_nul_bytes_is_invalid_and_nothing_is_written
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
                requested_calls: None,
                for_organization: false,
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
crate::on_every_database!(unknown_unpublished_or_malformed_agents_are_not_found);

async fn asking_twice_is_a_conflict_and_asking_while_licensed_asks_for_more_calls(
    db: TestDatabase,
) {
    let (db, admin, user, summarizer) = fx::cast(&db).await;
    let translator = fx::agent(&db, "translator", true).await;
    let first = create(&db, &fx::actor(&user), ask(&summarizer, "first"))
        .await
        .unwrap();
    assert_eq!(
        (first.kind, first.requested_calls),
        (AccessRequestKind::Access, None)
    );
    let twice = create(&db, &fx::actor(&user), ask(&summarizer, "second")).await;
    assert!(matches!(twice, Err(CoreError::Conflict(_))), "{twice:?}");
    let license = fx::license(&db, &admin, &user, &translator, 5).await;
    let more = NewAccessRequest {
        requested_calls: Some(500),
        ..ask(&translator, "more")
    };
    let increase = create(&db, &fx::actor(&user), more).await.unwrap();
    assert_eq!(
        (increase.kind, increase.requested_calls),
        (AccessRequestKind::Increase, Some(500))
    );
    let json = serde_json::to_value(&increase).unwrap();
    assert_eq!(
        (json["kind"].as_str(), json["requestedCalls"].as_i64()),
        (Some("increase"), Some(500))
    );
    let again = create(&db, &fx::actor(&user), ask(&translator, "more again")).await;
    assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
    // Once the license has expired, asking again is asking for a new license.
    reject(&db, &fx::actor(&admin), &increase.id, "not now")
        .await
        .unwrap();
    fx::set_license_expiry(&db, &license.id, Some(Utc::now() - Duration::minutes(1))).await;
    let renewal = create(&db, &fx::actor(&user), ask(&translator, "renew please"))
        .await
        .unwrap();
    assert_eq!(renewal.kind, AccessRequestKind::Access);
    assert_eq!(fx::count::<requests::Entity>(&db).await, 3);
    for calls in [0, -1, MAX_API_CALL_LIMIT + 1] {
        let bad = NewAccessRequest {
            requested_calls: Some(calls),
            ..ask(&summarizer, "odd")
        };
        let result = create(&db, &fx::actor(&user), bad).await;
        fx::assert_invalid(&result, "requestedCalls");
    }
}
crate::on_every_database!(asking_twice_is_a_conflict_and_asking_while_licensed_asks_for_more_calls);

async fn concurrent_requests_leave_exactly_one_pending(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (db, actor, request) = (db.clone(), fx::actor(&user), ask(&agent, "please"));
            tokio::spawn(async move { create(&db, &actor, request).await })
        })
        .collect();
    assert_eq!(fx::successes_among_conflicts(tasks).await, 1);
    assert_eq!(fx::count::<requests::Entity>(&db).await, 1);
}
crate::on_every_database!(concurrent_requests_leave_exactly_one_pending);

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
            api_call_limit: Some(3),
            expires_at,
            ..Default::default()
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
    let license = approved.license.expect("a license was granted");
    assert_eq!(
        (license.user_id.as_str(), license.agent_id.as_str()),
        (user.id.as_str(), agent.id.as_str())
    );
    assert_eq!(license.api_call_limit, 3);
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
crate::on_every_database!(approving_grants_the_license_in_the_same_transaction_and_audits_both);

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
                api_call_limit: Some(limit),
                ..Default::default()
            },
        )
        .await;
        fx::assert_invalid(&bad, "apiCallLimit");
    }
    let past = Approval {
        api_call_limit: Some(1),
        expires_at: Some(Utc::now() - Duration::hours(1)),
        ..Default::default()
    };
    let bad = approve(&db, &fx::actor(&admin), &request.id, past).await;
    fx::assert_invalid(&bad, "expiresAt");
    let unknown = approve(&db, &fx::actor(&admin), "42", TEN_CALLS).await;
    assert!(matches!(unknown, Err(CoreError::NotFound { .. })));
    assert_eq!(
        get(&db, &request.id).await.unwrap().status,
        AccessRequestStatus::Pending
    );
}
crate::on_every_database!(an_approval_that_cannot_grant_changes_nothing);

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
        fx::assert_invalid(&result, "reviewNote");
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
crate::on_every_database!(rejecting_needs_a_note_and_the_user_sees_it);

async fn the_admin_list_puts_pending_first_and_filters_by_status_agent_and_dates(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, translator) = fx::crowd(&db).await;
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

    let pending = fx::default_with(|f: &mut AccessRequestFilter| {
        f.status = Some(AccessRequestStatus::Pending)
    });
    assert_eq!(list(&db, &pending, page()).await.unwrap().total, 2);
    let by_agent =
        fx::default_with(|f: &mut AccessRequestFilter| f.agent_id = Some(translator.id.clone()));
    assert_eq!(
        list(&db, &by_agent, page()).await.unwrap().items[0].id,
        third.id
    );
    let found = async |filter: AccessRequestFilter| Ok(list(&db, &filter, page()).await?.total);
    fx::assert_dates_checked(found).await;
    let past = fx::default_with(|f: &mut AccessRequestFilter| {
        f.to = Some(Utc::now() + Duration::hours(1))
    });
    assert_eq!(list(&db, &past, page()).await.unwrap().total, 3);

    let bad_agent = fx::default_with(|f: &mut AccessRequestFilter| f.agent_id = Some("x\0".into()));
    fx::assert_invalid(&list(&db, &bad_agent, page()).await, "agentId");

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
crate::on_every_database!(the_admin_list_puts_pending_first_and_filters_by_status_agent_and_dates);

/// `user` holds a license for `agent` with `limit` calls (three of them used) and asks for
/// more; the request.
async fn holder_asks_for_more(
    db: &DatabaseConnection,
    admin: &users::Model,
    user: &users::Model,
    agent: &agent_catalog::Model,
    limit: i64,
) -> (LicenseView, AccessRequestView) {
    let license = fx::license(db, admin, user, agent, limit).await;
    for _ in 0..3 {
        assert!(fx::admit(db, &license.id, Utc::now()).await);
    }
    let more = NewAccessRequest {
        requested_calls: Some(100),
        ..ask(agent, "the pilot went well")
    };
    let request = create(db, &fx::actor(user), more).await.unwrap();
    assert_eq!(request.kind, AccessRequestKind::Increase);
    (license, request)
}

async fn an_increase_from_a_holder_is_approved_with_a_top_up_and_a_new_limit_on_the_same_license(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let (license, request) = holder_asks_for_more(&db, &admin, &user, &agent, 5).await;
    let approval = Approval {
        api_call_limit: Some(50),
        top_up_calls: Some(20),
        plan: Some(QuotaPlan {
            window: QuotaWindow::Month,
            ..QuotaPlan::default()
        }),
        ..Default::default()
    };
    let approved = approve(&db, &fx::actor(&admin), &request.id, approval)
        .await
        .unwrap();
    assert_eq!(approved.request.status, AccessRequestStatus::Approved);
    assert_eq!(approved.request.kind, AccessRequestKind::Increase);
    let changed = approved.license.expect("the license changed");
    assert_eq!(changed.id, license.id, "changed in place");
    assert_eq!(
        (
            changed.api_call_limit,
            changed.api_calls_used,
            changed.top_ups,
            changed.remaining
        ),
        (50, 3, 20, Some(67))
    );
    assert_eq!(changed.window, QuotaWindow::Month);
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
    assert_eq!(audited(&db, "license.grant").await, 1, "no second grant");
    assert_eq!(audited(&db, "access_request.approve").await, 1);
    let top_ups = licenses::top_ups(&db, &fx::actor(&admin), &license.id)
        .await
        .unwrap();
    assert_eq!(
        top_ups
            .iter()
            .map(|t| (t.calls, t.note.as_str()))
            .collect::<Vec<_>>(),
        [(20, APPROVED_TOP_UP_NOTE)]
    );
    let kinds: Vec<_> = licenses::history(&db, &fx::actor(&admin), &license.id)
        .await
        .unwrap()
        .into_iter()
        .map(|line| line.kind)
        .collect();
    use abetworks_types::enums::LicenseEventKind::*;
    assert_eq!(kinds, [TopUp, Changed, Granted]);
}
crate::on_every_database!(
    an_increase_from_a_holder_is_approved_with_a_top_up_and_a_new_limit_on_the_same_license
);

async fn an_increase_approved_with_only_a_top_up_or_only_a_limit_changes_just_that(
    db: TestDatabase,
) {
    let (db, admin, ana, bob, agent, _) = fx::crowd(&db).await;
    let (ana_license, ana_asks) = holder_asks_for_more(&db, &admin, &ana, &agent, 5).await;
    let top_up = fx::default_with(|a: &mut Approval| a.top_up_calls = Some(10));
    let topped = approve(&db, &fx::actor(&admin), &ana_asks.id, top_up).await;
    let topped = topped.unwrap().license.expect("the license topped up");
    assert_eq!(topped.id, ana_license.id);
    assert_eq!(
        (topped.api_call_limit, topped.top_ups, topped.remaining),
        (5, 10, Some(12))
    );
    let (bob_license, bob_asks) = holder_asks_for_more(&db, &admin, &bob, &agent, 5).await;
    let new_limit = fx::default_with(|a: &mut Approval| a.api_call_limit = Some(1000));
    let raised = approve(&db, &fx::actor(&admin), &bob_asks.id, new_limit).await;
    let raised = raised.unwrap().license.expect("the license raised");
    assert_eq!(raised.id, bob_license.id);
    assert_eq!(
        (raised.api_call_limit, raised.api_calls_used, raised.top_ups),
        (1000, 3, 0)
    );
    assert_eq!(raised.window, QuotaWindow::Lifetime, "the plan is kept");
}
crate::on_every_database!(
    an_increase_approved_with_only_a_top_up_or_only_a_limit_changes_just_that
);

async fn an_approval_without_what_its_kind_needs_is_invalid_and_changes_nothing(db: TestDatabase) {
    let (db, admin, ana, summarizer) = fx::cast(&db).await;
    let translator = fx::agent(&db, "translator", true).await;
    let (license, increase) = holder_asks_for_more(&db, &admin, &ana, &summarizer, 5).await;
    let nothing = approve(&db, &fx::actor(&admin), &increase.id, Approval::default()).await;
    fx::assert_invalid(&nothing, "topUpCalls");
    let expiry_only = Approval {
        expires_at: Some(Utc::now() + Duration::days(3)),
        ..Default::default()
    };
    let result = approve(&db, &fx::actor(&admin), &increase.id, expiry_only).await;
    assert!(
        matches!(result, Err(CoreError::Invalid { .. })),
        "{result:?}"
    );
    let bad_top_up = Approval {
        top_up_calls: Some(0),
        ..Default::default()
    };
    let result = approve(&db, &fx::actor(&admin), &increase.id, bad_top_up).await;
    fx::assert_invalid(&result, "topUpCalls");
    let bad_plan = Approval {
        top_up_calls: Some(5),
        plan: Some(QuotaPlan {
            reset_day: 29,
            ..QuotaPlan::default()
        }),
        ..Default::default()
    };
    let result = approve(&db, &fx::actor(&admin), &increase.id, bad_plan).await;
    fx::assert_invalid(&result, "resetDay");

    let access = create(&db, &fx::actor(&ana), ask(&translator, "please"))
        .await
        .unwrap();
    assert_eq!(access.kind, AccessRequestKind::Access);
    let no_limit = Approval {
        top_up_calls: Some(5),
        ..Default::default()
    };
    let result = approve(&db, &fx::actor(&admin), &access.id, no_limit).await;
    assert!(
        matches!(result, Err(CoreError::Invalid { .. })),
        "{result:?}"
    );
    let result = approve(&db, &fx::actor(&admin), &access.id, Approval::default()).await;
    fx::assert_invalid(&result, "apiCallLimit");

    for request in [&increase, &access] {
        assert_eq!(
            get(&db, &request.id).await.unwrap().status,
            AccessRequestStatus::Pending
        );
    }
    let unchanged = licenses::get(&db, &license.id).await.unwrap();
    assert_eq!((unchanged.api_call_limit, unchanged.top_ups), (5, 0));
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
    assert_eq!(audited(&db, "access_request.approve").await, 0);
}
crate::on_every_database!(an_approval_without_what_its_kind_needs_is_invalid_and_changes_nothing);

async fn an_increase_for_a_license_revoked_meanwhile_is_a_conflict(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let (license, request) = holder_asks_for_more(&db, &admin, &user, &agent, 5).await;
    licenses::revoke(&db, &fx::actor(&admin), &license.id)
        .await
        .unwrap();
    let approval = Approval {
        top_up_calls: Some(10),
        ..Default::default()
    };
    let result = approve(&db, &fx::actor(&admin), &request.id, approval).await;
    assert!(
        matches!(
            result,
            Err(CoreError::Conflict(ConflictReason::LicenseRevoked))
        ),
        "{result:?}"
    );
    assert_eq!(
        get(&db, &request.id).await.unwrap().status,
        AccessRequestStatus::Pending
    );
}
crate::on_every_database!(an_increase_for_a_license_revoked_meanwhile_is_a_conflict);
