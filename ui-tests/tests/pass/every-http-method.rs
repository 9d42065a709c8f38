// One method of each HTTP verb, with the body-carrying verbs sending a body.
use restrait::{api, delete, get, head, options, patch, post, put, Result};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Item {
    pub id: u64,
}

#[derive(Serialize)]
pub struct NewItem<'a> {
    pub name: &'a str,
}

#[api(base = "https://api.example.com")]
pub trait Items {
    #[get("/items/<id>")]
    async fn get(&self, id: u64) -> Result<Item>;

    #[post("/items")]
    async fn create(&self, #[body] item: &NewItem<'_>) -> Result<Item>;

    #[put("/items/<id>")]
    async fn replace(&self, id: u64, #[body] item: &NewItem<'_>) -> Result<Item>;

    #[patch("/items/<id>")]
    async fn update(&self, id: u64, #[body] item: &NewItem<'_>) -> Result<Item>;

    #[delete("/items/<id>")]
    async fn delete(&self, id: u64) -> Result<()>;

    #[head("/items/<id>")]
    async fn exists(&self, id: u64) -> Result<()>;

    #[options("/items")]
    async fn allowed(&self) -> Result<restrait::Response<()>>;
}

fn main() {
    let _ = ItemsClient::builder();
    assert_eq!(ItemsClient::OPERATIONS.len(), 7);
}
