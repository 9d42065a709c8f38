use restrait::{api, get, Paginated};

pub struct User {
    pub id: u64,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    #[paginate(link)]
    fn users(&self) -> Paginated<User>;
}

fn main() {}
