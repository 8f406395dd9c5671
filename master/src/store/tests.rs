use super::*;
use crate::namespace::{NewNode, ROOT};

fn create(i: usize) -> Mutation {
    Mutation::plain_create(ROOT, &format!("f{i}"), NewNode::File)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_all_applies_more_than_one_round_and_answers_in_order() {
    let store = MetadataStore::empty().await;
    let count = 2 * MAX_CHANGES_IN_FLIGHT + 1;
    let results = store
        .change_all(&Caller::root(), (0..count).map(create).collect())
        .await;
    assert_eq!(results.len(), count);
    let ns = store.read().await;
    for (i, result) in results.into_iter().enumerate() {
        let found = ns.lookup(&Caller::root(), ROOT, format!("f{i}").as_bytes());
        assert_eq!(found, result.map(|outcome| outcome.inode()), "answer {i}");
    }
    drop(ns);
    store.shutdown().await;
}
