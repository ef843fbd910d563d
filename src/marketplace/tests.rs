//! The marketplace's pages: every published agent once, in name order, each with where the
//! caller stands.

use super::*;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

fn page(page: u64, page_size: u64) -> PageRequest {
    PageRequest { page, page_size }
}

fn slugs(found: &Page<MarketplaceAgent>) -> Vec<&str> {
    found.items.iter().map(|a| a.agent.slug.as_str()).collect()
}

async fn the_pages_list_every_published_agent_once_with_the_callers_access(db: TestDatabase) {
    let (db, admin, ana, summarizer) = fx::cast(&db).await;
    for slug in ["a1", "a2", "a3", "a4"] {
        fx::agent(&db, slug, true).await;
    }
    fx::agent(&db, "hidden", false).await;
    fx::license(&db, &admin, &ana, &summarizer, 5).await;
    let any = CatalogFilter::default();

    let first = page_for(&db, Some(&ana.id), &any, page(1, 2))
        .await
        .unwrap();
    let second = page_for(&db, Some(&ana.id), &any, page(2, 2))
        .await
        .unwrap();
    let third = page_for(&db, Some(&ana.id), &any, page(3, 2))
        .await
        .unwrap();
    assert_eq!(
        (first.total, first.pages()),
        (5, 3),
        "five published, in pages of two"
    );
    assert_eq!(
        [slugs(&first), slugs(&second), slugs(&third)].concat(),
        ["a1", "a2", "a3", "a4", "summarizer"],
        "by name, each once, the unpublished one left out"
    );
    let summarizer_access = third.items[0].access;
    assert_eq!(summarizer_access, AgentAccess::Licensed);
    assert_eq!(first.items[0].access, AgentAccess::Available);

    let past_the_end = page_for(&db, Some(&ana.id), &any, page(4, 2))
        .await
        .unwrap();
    assert!(
        past_the_end.items.is_empty(),
        "a page past the end is empty"
    );
    assert_eq!(past_the_end.total, 5, "and still says how many there are");

    let visitor = page_for(&db, None, &any, page(1, 10)).await.unwrap();
    assert!(
        visitor
            .items
            .iter()
            .all(|a| a.access == AgentAccess::SignedOut),
        "a visitor is asked to sign in for every agent"
    );
    let searched = CatalogFilter {
        query: Some("summ".into()),
        ..CatalogFilter::default()
    };
    let found = page_for(&db, Some(&ana.id), &searched, page(1, 2))
        .await
        .unwrap();
    assert_eq!((slugs(&found), found.total), (vec!["summarizer"], 1));
}
crate::on_every_database!(the_pages_list_every_published_agent_once_with_the_callers_access);

async fn the_categories_are_those_of_published_agents_each_once_in_order(db: TestDatabase) {
    use sea_orm::{ActiveModelTrait, Set};
    let (db, ..) = fx::cast(&db).await;
    let agents = [
        ("b", "Sales", true),
        ("c", "Sales", true),
        ("d", "Analytics", true),
        ("e", "Hidden", false),
    ];
    for (slug, category, published) in agents {
        let mut agent: agent_catalog::ActiveModel = fx::agent(&db, slug, published).await.into();
        agent.category = Set(category.into());
        agent.update(&db).await.expect("the category changed");
    }
    let categories = crate::catalog::published_categories(&db).await.unwrap();
    assert_eq!(categories, ["Analytics", "Sales", "testing"]);
}
crate::on_every_database!(the_categories_are_those_of_published_agents_each_once_in_order);
