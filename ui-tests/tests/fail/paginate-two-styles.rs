use restrait::{api, get, Paginated};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct User {
    pub id: u64,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    #[paginate(cursor, offset)]
    fn users(&self) -> Paginated<User>;
}

fn main() {}
