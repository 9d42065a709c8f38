use restrait::{api, get, Paginated};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    #[paginate(link)]
    #[cache]
    fn users(&self) -> Paginated<String>;
}

fn main() {}
