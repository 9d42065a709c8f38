use restrait::{api, get};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct User {
    pub id: u64,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    #[paginate(link)]
    fn users(&self) -> Vec<User>;
}

fn main() {}
