"""Write ko_sentences.txt and en_sentences.txt: a small diary world in Korean and English.

Written for seqlab (CC0 / public domain). Every run gives the same files: templates, word lists
and a fixed seed. Each Korean sentence is built together with its English counterpart, so the two
files are line-by-line translations of each other. Korean particles (은/는, 이/가, 을/를, 와/과,
으로/로) are chosen from the final consonant (batchim) of the word before them.

    python sample_data/text/make_corpora.py          # rewrite both files next to this script
"""

from __future__ import annotations

import random
from pathlib import Path

SEED = 2024
DAYS = 80
HERE = Path(__file__).resolve().parent


# --- Korean particles ------------------------------------------------------------------------


def batchim(word: str) -> int:
    """Final consonant index of the last syllable (0 = none, 8 = ㄹ); 0 for non-Hangul."""
    code = ord(word[-1]) - 0xAC00
    return code % 28 if 0 <= code <= 11171 else 0


def josa(word: str, with_batchim: str, without: str) -> str:
    """word + the right particle: josa('밥', '을', '를') -> '밥을'."""
    if with_batchim == "으로":  # 으로 after a consonant except ㄹ; 로 after a vowel or ㄹ
        return word + ("으로" if batchim(word) not in (0, 8) else "로")
    return word + (with_batchim if batchim(word) else without)


def topic(w: str) -> str:
    return josa(w, "은", "는")


def subj(w: str) -> str:
    return josa(w, "이", "가")


def obj(w: str) -> str:
    return josa(w, "을", "를")


def with_(w: str) -> str:
    return josa(w, "과", "와")


# --- the small world: (Korean, English, ...) ------------------------------------------------

# people who write or appear in the diary: Korean, English, English pronoun
PEOPLE = [
    ("나", "I", "I"),
    ("동생", "my little brother", "he"),
    ("엄마", "my mom", "she"),
    ("아빠", "my dad", "he"),
    ("민수", "Minsu", "he"),
    ("지영", "Jiyoung", "she"),
    ("친구", "my friend", "she"),
]
ADULTS = ("엄마", "아빠")  # no homework, no "after school" for them
COMPANIONS = [(k, "me" if k == "나" else e) for k, e, _ in PEOPLE] + [("강아지", "the puppy")]
# givers: Korean, English, honorific
GIVERS = [
    ("엄마", "my mom", False),
    ("아빠", "my dad", False),
    ("동생", "my little brother", False),
    ("친구", "my friend", False),
    ("민수", "Minsu", False),
    ("지영", "Jiyoung", False),
    ("할머니", "my grandmother", True),
    ("선생님", "my teacher", True),
]
RECEIVERS = [*GIVERS[:7], ("선생님", "my teacher", True), ("강아지", "the puppy", False)]
ITEMS = [
    ("사과", "an apple"),
    ("책", "a book"),
    ("선물", "a present"),
    ("편지", "a letter"),
    ("우산", "an umbrella"),
    ("연필", "a pencil"),
    ("사탕", "some candy"),
    ("공", "a ball"),
    ("꽃", "a flower"),
]
ANIMALS = [("고양이", "the cat"), ("강아지", "the puppy"), ("토끼", "the rabbit")]
ANIMAL_PLACES = [("소파", "on the sofa"), ("방", "in my room"), ("마당", "in the yard")]
ANIMAL_FOOD = [("생선", "fish"), ("당근", "a carrot"), ("사료", "its food"), ("고기", "meat")]

TIMES = [
    ("아침에", "in the morning"),
    ("점심에", "at lunch"),
    ("오후에", "in the afternoon"),
    ("저녁에", "in the evening"),
    ("밤에", "at night"),
    ("방과 후에", "after school"),
    ("주말에", "on the weekend"),
    ("", ""),
    ("", ""),
]
FOODS = [
    ("밥", "rice"),
    ("빵", "bread"),
    ("김치", "kimchi"),
    ("떡볶이", "tteokbokki"),
    ("김밥", "gimbap"),
    ("라면", "ramen"),
    ("수박", "watermelon"),
    ("케이크", "cake"),
    ("피자", "pizza"),
    ("치킨", "chicken"),
    ("과일", "fruit"),
    ("샐러드", "salad"),
]
COOKED = ["김밥", "떡볶이", "케이크", "피자", "샐러드", "빵"]
# how much / how: Korean adverb, English verb phrase with {f} for the food
EAT_HOW = [
    ("많이", "ate a lot of {f}"),
    ("많이", "ate a lot of {f}"),
    ("조금", "ate a little {f}"),
    ("맛있게", "enjoyed the {f}"),
    ("천천히", "ate {f} slowly"),
    ("빨리", "ate {f} quickly"),
    ("", "ate {f}"),
]
DRINKS = [
    ("우유", "milk", "glass"),
    ("물", "water", "glass"),
    ("주스", "juice", "glass"),
    ("차", "tea", "cup"),
    ("코코아", "hot chocolate", "cup"),
]
DRINK_HOW = [("많이", "a lot of {d}"), ("조금", "a little {d}"), ("한 잔", "a {c} of {d}")]
# places: Korean, English "went ...", English "... at"
PLACES = {
    "학교": ("to school", "at school"),
    "공원": ("to the park", "in the park"),
    "시장": ("to the market", "at the market"),
    "도서관": ("to the library", "at the library"),
    "바닷가": ("to the beach", "on the beach"),
    "할머니 댁": ("to my grandmother's house", "at my grandmother's house"),
    "가게": ("to the store", "at the store"),
    "집": ("home", "at home"),
    "수영장": ("to the swimming pool", "at the swimming pool"),
}
NEAR = ["학교", "공원", "시장", "도서관", "가게", "집", "수영장"]
FAR = ["바닷가", "할머니 댁"]
TRANSPORT_NEAR = [
    ("버스", "by bus"),
    ("지하철", "by subway"),
    ("자전거", "by bike"),
    ("걸어서", "on foot"),
]
TRANSPORT_FAR = [("버스", "by bus"), ("기차", "by train"), ("차", "by car")]
ACTIVITIES = [
    ("공부를 했다", "studied", ["학교", "도서관", "집"]),
    ("책을 읽었다", "read a book", ["도서관", "집", "공원"]),
    ("그림을 그렸다", "drew a picture", ["집", "공원", "학교", "바닷가"]),
    ("축구를 했다", "played soccer", ["공원", "학교"]),
    ("노래를 불렀다", "sang a song", ["집", "학교"]),
    ("사진을 찍었다", "took pictures", ["공원", "바닷가", "시장"]),
    ("산책을 했다", "took a walk", ["공원", "바닷가"]),
    ("게임을 했다", "played games", ["집"]),
    ("영화를 봤다", "watched a movie", ["집"]),
    ("과일을 샀다", "bought fruit", ["시장", "가게"]),
    ("빵을 샀다", "bought bread", ["시장", "가게"]),
    ("수영을 했다", "swam", ["바닷가", "수영장"]),
    ("친구를 만났다", "met a friend", ["공원", "도서관", "시장"]),
    ("숙제를 했다", "did homework", ["집", "도서관"]),
    ("낮잠을 잤다", "took a nap", ["집", "할머니 댁"]),
    ("모래성을 만들었다", "built a sandcastle", ["바닷가"]),
]
FEELINGS = [
    ("기분이 좋았다", "was happy"),
    ("배가 고팠다", "was hungry"),
    ("배가 불렀다", "was full"),
    ("피곤했다", "was tired"),
    ("졸렸다", "was sleepy"),
    ("심심했다", "was bored"),
    ("신이 났다", "was excited"),
    ("조금 슬펐다", "was a little sad"),
]
SLEEP = [
    ("아침에 일찍 일어났다", "got up early in the morning"),
    ("아침에 늦게 일어났다", "got up late in the morning"),
    ("밤에 일찍 잤다", "went to bed early at night"),
    ("밤에 늦게 잤다", "went to bed late at night"),
    ("아홉 시에 잤다", "went to bed at nine"),
    ("일곱 시에 일어났다", "got up at seven"),
]
DAYS_OF_WEEK = [
    ("월요일", "Monday"),
    ("화요일", "Tuesday"),
    ("수요일", "Wednesday"),
    ("목요일", "Thursday"),
    ("금요일", "Friday"),
    ("토요일", "Saturday"),
    ("일요일", "Sunday"),
]
WEATHER_WHEN = [
    ("오늘은", "today"),
    ("아침에는", "in the morning"),
    ("오후에는", "in the afternoon"),
    ("저녁에는", "in the evening"),
]
WEATHER = [
    ("날씨가 맑았다", "the weather was sunny"),
    ("날씨가 흐렸다", "the sky was cloudy"),
    ("비가 많이 왔다", "it rained a lot"),
    ("비가 조금 왔다", "it rained a little"),
    ("눈이 많이 왔다", "it snowed a lot"),
    ("바람이 많이 불었다", "it was very windy"),
    ("날씨가 추웠다", "it was cold"),
    ("날씨가 따뜻했다", "it was warm"),
    ("날씨가 더웠다", "it was hot"),
]


# --- sentence makers: each returns (korean, english) -----------------------------------------


def when(r: random.Random, who: str) -> tuple[str, str]:
    """A time phrase that fits ``who`` (adults have no 'after school')."""
    return r.choice([t for t in TIMES if not (who in ADULTS and t[0] == "방과 후에")])


def sentence(ko_parts: list[str], en_parts: list[str]) -> tuple[str, str]:
    ko = " ".join(p for p in ko_parts if p) + "."
    en = " ".join(p for p in en_parts if p) + "."
    return ko, en[0].upper() + en[1:]


def eat(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    t, t_en = when(r, s)
    f, f_en = r.choice(FOODS)
    how, vp = r.choice(EAT_HOW)
    return sentence([topic(s), t, obj(f), how, "먹었다"], [s_en, vp.format(f=f_en), t_en])


def drink(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    t, t_en = when(r, s)
    d, d_en, cup = r.choice(DRINKS)
    how, np_en = r.choice(DRINK_HOW)
    return sentence(
        [topic(s), t, obj(d), how, "마셨다"], [s_en, "drank", np_en.format(d=d_en, c=cup), t_en]
    )


def go(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    t, t_en = when(r, s)
    place = r.choice(NEAR + FAR)
    to_en = PLACES[place][0]
    extra_ko, extra_en = "", ""
    kind = r.random()
    if kind < 0.35:
        c, c_en = r.choice([c for c in COMPANIONS if c[0] != s])
        if c == "강아지":  # the puppy only comes along to the park, the beach or home
            place = r.choice(["공원", "바닷가", "집"])
            to_en = PLACES[place][0]
        extra_ko, extra_en = with_(c), f"with {c_en}"
    elif kind < 0.65:
        m, m_en = r.choice(TRANSPORT_FAR if place in FAR else TRANSPORT_NEAR)
        extra_ko, extra_en = (m if m == "걸어서" else josa(m, "으로", "로")), m_en
    return sentence(
        [topic(s), t, extra_ko, place + "에", "갔다"], [s_en, "went", to_en, extra_en, t_en]
    )


def activity(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    t, t_en = when(r, s)
    act, act_en, places = r.choice(
        [a for a in ACTIVITIES if not (s in ADULTS and a[0] in ("숙제를 했다", "공부를 했다"))]
    )
    place = r.choice(places)
    if s == "친구" and act == "친구를 만났다":
        act, act_en = "책을 읽었다", "read a book"
    return sentence([topic(s), t, place + "에서", act], [s_en, act_en, PLACES[place][1], t_en])


def feeling(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    t, t_en = when(r, s)
    f, f_en = r.choice(FEELINGS)
    return sentence([topic(s), t, f], [s_en, f_en, t_en])


def because(r: random.Random) -> tuple[str, str]:
    s, s_en, p = r.choice(PEOPLE)
    kind = r.randrange(6)
    if kind == 0:
        f, f_en = r.choice(FOODS)
        return sentence(
            [topic(s), "배가 고파서", obj(f), "많이 먹었다"],
            [s_en, f"was hungry, so {p} ate a lot of {f_en}"],
        )
    if kind == 1:
        return sentence(
            [topic(s), "피곤해서 일찍 잤다"], [s_en, f"was tired, so {p} went to bed early"]
        )
    if kind == 2:
        return sentence([topic(s), "졸려서 낮잠을 잤다"], [s_en, f"was sleepy, so {p} took a nap"])
    if kind == 3:
        act, act_en = r.choice(
            [
                ("책을 읽었다", "read a book"),
                ("게임을 했다", "played games"),
                ("그림을 그렸다", "drew a picture"),
            ]
        )
        return sentence([topic(s), "심심해서", act], [s_en, f"was bored, so {p} {act_en}"])
    if kind == 4:
        place = r.choice(["공원", "바닷가", "시장"])
        return sentence(
            ["날씨가 좋아서", topic(s), place + "에", "갔다"],
            ["the weather was nice, so", s_en, "went", PLACES[place][0]],
        )
    return sentence(["비가 와서", topic(s), "집에 있었다"], ["it rained, so", s_en, "stayed home"])


def sleep(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    a, a_en = r.choice(SLEEP)
    return sentence([topic(s), a], [s_en, a_en])


def give(r: random.Random) -> tuple[str, str]:
    item, item_en = r.choice(ITEMS)
    if r.random() < 0.5:
        g, g_en, hon = r.choice(GIVERS)
        verb = "주셨다" if hon else "주었다"
        return sentence([subj(g), "나에게", obj(item), verb], [g_en, "gave me", item_en])
    g, g_en, hon = r.choice(RECEIVERS)
    to_ko, verb = (g + "께", "드렸다") if hon else (g + "에게", "주었다")
    return sentence(["나는", to_ko, obj(item), verb], ["I gave", g_en, item_en])


def cook(r: random.Random) -> tuple[str, str]:
    s, s_en, _ = r.choice(PEOPLE)
    t, t_en = when(r, s)
    f = r.choice(COOKED)
    f_en = dict(FOODS)[f]
    return sentence([topic(s), t, obj(f), "만들었다"], [s_en, "made", f_en, t_en])


def animal(r: random.Random) -> tuple[str, str]:
    a, a_en = r.choice(ANIMALS)
    kind = r.randrange(4)
    if kind == 0:
        p, p_en = r.choice(ANIMAL_PLACES)
        return sentence([subj(a), p + "에서", "잠을 잤다"], [a_en, "slept", p_en])
    if kind == 1:
        f, f_en = r.choice(ANIMAL_FOOD)
        return sentence([subj(a), obj(f), "먹었다"], [a_en, "ate", f_en])
    if kind == 2:
        p, p_en = r.choice(ANIMAL_PLACES)
        return sentence([subj(a), p + "에서", "뛰어놀았다"], [a_en, "played", p_en])
    return sentence([subj(a), "물을 마셨다"], [a_en, "drank water"])


def weather(r: random.Random) -> tuple[str, str]:
    w, w_en = r.choice(WEATHER_WHEN)
    core, core_en = r.choice(WEATHER)
    return sentence([w, core], [core_en, w_en])


MAKERS = [
    (eat, 5),
    (drink, 2),
    (go, 5),
    (activity, 5),
    (feeling, 2),
    (because, 3),
    (sleep, 2),
    (give, 3),
    (cook, 1),
    (animal, 2),
]


def diary(seed: int = SEED, days: int = DAYS) -> list[tuple[str, str]]:
    """Pairs (Korean, English): each day opens with its weekday, maybe the weather, then events."""
    r = random.Random(seed)
    makers = [m for m, w in MAKERS for _ in range(w)]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for day in range(days):
        d, d_en = DAYS_OF_WEEK[day % 7]
        out.append((f"오늘은 {josa(d, '이었다', '였다')}.", f"Today was {d_en}."))
        if day == 0:  # the course's first picture: 나는 -> 밥을 -> 많이 -> 먹었다
            out.append(("나는 밥을 많이 먹었다.", "I ate a lot of rice."))
            seen.add(out[-1][0])
        if r.random() < 0.6:
            out.append(weather(r))
        for _ in range(r.randint(4, 7)):
            for _attempt in range(50):
                pair = r.choice(makers)(r)
                if pair[0] not in seen:
                    break
            seen.add(pair[0])
            out.append(pair)
    return out


def main() -> None:
    pairs = diary()
    (HERE / "ko_sentences.txt").write_text("".join(k + "\n" for k, _ in pairs), encoding="utf-8")
    (HERE / "en_sentences.txt").write_text("".join(e + "\n" for _, e in pairs), encoding="utf-8")
    print(f"wrote {len(pairs)} sentences to ko_sentences.txt and en_sentences.txt")


if __name__ == "__main__":
    main()
