// `#[api(blocking)]` generates `{Trait}BlockingClient` beside the async client, with every
// return type mapped to its blocking form.
use restrait::{api, get, ByteStream, Events, JsonLines, Paginated, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Item {
    pub id: u64,
}

#[api(base = "https://api.example.com", blocking)]
pub trait Shop {
    #[get("/items/<id>")]
    async fn item(&self, id: u64) -> Result<Item>;

    #[get("/items")]
    #[paginate(link)]
    fn items(&self, #[query] tag: Option<&str>) -> Paginated<Item>;

    #[get("/export")]
    async fn export(&self) -> Result<ByteStream>;

    #[get("/export.ndjson")]
    async fn export_lines(&self) -> Result<JsonLines<Item>>;

    #[get("/events")]
    async fn events(&self) -> Result<Events<Item>>;
}

fn main() -> Result<()> {
    let shop = ShopBlockingClient::builder().base_url("http://127.0.0.1:1").build()?;
    let _: Result<Item> = shop.item(1);
    let items: restrait::blocking::Paginated<Item> = shop.items(Some("new")).max_items(3);
    for item in items {
        let _: Result<Item> = item;
    }
    if let Ok(mut body) = shop.export() {
        let mut out = Vec::new();
        let _ = std::io::Read::read_to_end(&mut body, &mut out);
    }
    let _: Result<restrait::blocking::JsonLines<Item>> = shop.export_lines();
    let _ = shop.events().map(|events| events.terminator("[DONE]").count());
    let async_client: ShopClient = ShopClient::new()?;
    drop(async_client);
    Ok(())
}
