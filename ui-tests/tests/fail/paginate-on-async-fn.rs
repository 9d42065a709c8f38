use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    #[paginate(link)]
    async fn users(&self) -> Result<Vec<String>>;
}

fn main() {}
