use restrait::cache::{Cache, MemoryStore};
use restrait::{api, get, head, post, Result};
use std::sync::Arc;

/// The trait's `#[cache]` applies to its GET and HEAD methods; POST is never cached.
#[api(base = "https://api.example.com")]
#[cache(ttl = "30s")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<String>;

    #[get("/users/<id>/avatar")]
    #[cache]
    async fn avatar(&self, id: u64) -> Result<bytes::Bytes>;

    #[head("/users/<id>")]
    #[cache(ttl = "5m")]
    async fn exists(&self, id: u64) -> Result<()>;

    #[get("/users/<id>/live")]
    #[cache(off)]
    async fn live(&self, id: u64) -> Result<String>;

    #[post("/users")]
    async fn create(&self) -> Result<()>;
}

fn main() {
    let _ = UsersClient::builder().cache(Cache::memory(1 << 20)).build();
    let _ = UsersClient::builder().cache(Cache::new(Arc::new(MemoryStore::default()))).build();
    let _ = UsersClient::builder().cache(Cache::off()).build();
}
