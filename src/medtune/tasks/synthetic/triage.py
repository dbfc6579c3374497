"""Synthetic portal messages for the triage task (tasks/triage.py), and the criteria they follow.

Triage: patient portal messages, labelled for urgency and for the responding provider.

The paper (Savage et al. 2025) triaged real Stanford outpatient messages by criteria in its
Multimedia Appendix 7, which is not public; these are ours, written after standard nurse
telephone triage protocols (Schmitt-Thompson adult protocols, whose dispositions run from
"call 911 now" and "go to the ED now" through "see today" to "see within days" and home care).

Urgency (endpoint "urgency", positive "urgent"):
- urgent: the message needs clinical attention the same day. Red-flag symptoms: chest pain or
  pressure, shortness of breath, signs of stroke (face droop, arm weakness, speech trouble),
  fever >=38.0 C / 100.4 F in an immunocompromised patient (chemotherapy, transplant), a
  severe medication reaction (swelling of lips or tongue, blistering rash), suicidal
  thoughts, black stools with dizziness, a sudden worst-ever headache, very high blood sugar
  with vomiting, a swollen painful calf, worsening asthma, fever with urinary symptoms and
  back pain. The true emergencies among them (meta "emergency") are the ones whose reply must
  tell the patient to call 911 (988 for suicidal thoughts) or go to the ED now: a portal
  message is not how an emergency should be handled, but triage must still catch it.
  Also urgent: a critical medication (insulin, anti-seizure drugs, transplant
  immunosuppressants: missed doses can cause ketoacidosis, seizures or rejection within a
  day) that runs out within 24 hours, and an administrative task whose deadline is within 24
  hours and delays care if missed (clearance paperwork for surgery tomorrow).
- non-urgent: refills with days to spare, scheduling, forms, records, billing, referral
  status, stable chronic questions, questions about normal or mildly abnormal results.

Provider (endpoint "provider", positive "physician"):
- physician: the reply needs clinical judgement: new or worsening symptoms, medication
  reactions, dose or drug changes, medication questions, interpretation of an abnormal result.
- medical assistant: administrative work: scheduling, a refill of a stable chronic medicine
  under the clinic's refill protocol, forms, records, billing, referrals, relaying a result
  the physician has already marked normal.

All four combinations occur. Urgent + medical assistant is the rare one: "my insulin
prescription expired and I run out tonight" is a same-day problem, but with the same dose and
no new symptoms it is a protocol refill that a medical assistant queues, not a clinical
decision. Non-urgent + physician: a mildly abnormal lab, a stable symptom, a dose question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CLINICAL_REQUESTS = ("new_symptom", "worsening_symptom", "medication_reaction", "mental_health",
                     "abnormal_result", "stable_symptom", "medication_question",
                     "medication_change")
ADMIN_REQUESTS = ("refill", "scheduling", "form", "records", "billing", "normal_result",
                  "referral")
DISTRACTORS = ("alarm_words_admin", "calm_tone_red_flag", "resolved_history",
               "admin_request_in_urgent", "critical_med_not_due", "deadline_not_soon")
# Shares of the four (urgency, provider) cells: each axis comes out 50/50.
QUOTAS = {("urgent", "physician"): 0.38, ("urgent", "medical assistant"): 0.12,
          ("non-urgent", "physician"): 0.12, ("non-urgent", "medical assistant"): 0.38}
MIN_WORDS, MAX_WORDS = 30, 70


@dataclass(frozen=True)
class Scenario:
    key: str
    request: str
    templates: tuple[str, ...]
    red_flags: tuple[str, ...] = ()
    emergency: bool = False  # the reply must say: call 911 (988) or go to the ED now


S = Scenario
URGENT_CLINICAL = (
    S("chest_pain", "new_symptom", (
        "I've had a heavy pressure in my chest {since} that goes into my left arm and jaw. I'm "
        "sweaty and a little nauseous. I thought it was indigestion but it isn't going away. "
        "Should I come in today?",
        "My {relative} has had chest pain {since}. {He} says it feels like something heavy "
        "sitting on {his} chest and {he} is short of breath and pale. {He} doesn't want to make "
        "a fuss. What should we do?"),
      ("chest_pain",), True),
    S("breathless_at_rest", "new_symptom", (
        "I can't catch my breath even sitting still, it started {onset} and keeps getting "
        "worse. My lips look a bit bluish and I have to stop between words. Is this something "
        "that can wait for my visit?",
        "My {relative} is breathing really fast and says {he} can't get enough air, even lying "
        "in bed. It started {onset}. {He} has COPD but this is much worse than usual. What "
        "should we do?"), ("shortness_of_breath",), True),
    S("heart_failure_worse", "worsening_symptom", (
        "I'm getting short of breath walking to the bathroom since yesterday and my ankles are "
        "much more swollen. I gained {lbs} pounds in three days. I have heart failure. Do I "
        "need to be seen?",
        "I have heart failure and for two days I've needed three pillows to sleep because I "
        "wake up gasping. My weight is up {lbs} pounds and my legs are puffy. Should I take an "
        "extra water pill?"), ("shortness_of_breath",)),
    S("stroke_signs", "new_symptom", (
        "My {relative}'s speech is slurred and the left side of {his} face is drooping, it "
        "started {onset}. {He} also can't lift {his} left arm well and seems confused. Should "
        "I bring {him} to the clinic?",
        "I suddenly can't feel my right hand and my words keep coming out wrong. It started "
        "{onset}. My {relative} says my face looks uneven. Is this something to worry about or "
        "a pinched nerve?"), ("stroke_signs",), True),
    S("fever_immunocompromised", "new_symptom", (
        "I had chemo for breast cancer {days} days ago and now my temperature is {temp}. I feel "
        "shaky, achy and very tired. The oncology office is closed. Should I come in or just "
        "take Tylenol?",
        "I'm a kidney transplant patient on tacrolimus and I've had a fever of {temp} {since} "
        "with chills and a cough. Please let me know what to do, I wasn't sure who to contact."),
      ("fever_immunocompromised",), True),
    S("severe_drug_reaction", "medication_reaction", (
        "I started {antibiotic} yesterday for a sinus infection and now I have hives all over, "
        "and my lips and tongue feel swollen and tight. What should I do? Should I stop the "
        "antibiotic?",
        "About two weeks after starting lamotrigine I have a spreading rash with blisters, "
        "sores in my mouth and a fever. My eyes are red too. Should I keep taking it until my "
        "appointment?"), ("severe_medication_reaction",), True),
    S("suicidal_thoughts", "mental_health", (
        "I haven't been doing well lately. I keep thinking everyone would be better off without "
        "me and I've started thinking about how I would end my life. I don't know who else to "
        "tell.",
        "I'm writing about my {relative}. {He} told me tonight {he} wants to die and has been "
        "giving away {his} things. {He} won't talk to anyone else. I don't know what to do."),
      ("suicidal_thoughts",), True),
    S("gi_bleeding", "new_symptom", (
        "My stools have been black and tarry since yesterday and I get dizzy when I stand up. "
        "I take aspirin every day for my heart and ibuprofen for my back. Should I be worried?",
        "I threw up something that looked like coffee grounds this morning and I feel weak and "
        "lightheaded. I've been taking a lot of Advil for my knee. What should I do?"),
      ("gi_bleeding",), True),
    S("thunderclap_headache", "new_symptom", (
        "I got a sudden, terrible headache {onset}, the worst of my life. It came on all at "
        "once, like being hit. Tylenol isn't touching it and light hurts my eyes. Is this a "
        "migraine?",), ("sudden_severe_headache",), True),
    S("hyperglycemia_vomiting", "worsening_symptom", (
        "I have type 1 diabetes. My sugar is {bg} and I've been throwing up since last night, "
        "I can't keep fluids down and I'm breathing fast. I took my insulin. What should I do?",
        "My {relative} has type 1 diabetes and {his} meter reads {bg}. {He} has been vomiting "
        "since last night and is very sleepy. Should we give more insulin and wait?"),
      ("hyperglycemia_vomiting",), True),
    S("possible_dvt", "new_symptom", (
        "My left calf has been swollen, red and painful for {days} days since I got back from a "
        "long flight. It hurts to walk on it. No trouble breathing. Do I need to be seen or "
        "can I just ice it?",), ("possible_dvt",)),
    S("asthma_worse", "worsening_symptom", (
        "My asthma is getting worse. I've used my albuterol every three to four hours since "
        "yesterday and I'm still wheezing, tight in the chest and coughing at night. Can "
        "someone call me today about what to do?",), ("worsening_asthma",)),
    S("pyelonephritis_signs", "new_symptom", (
        "I've had burning when I pee for {days} days and now a fever of {temp}, chills, and "
        "pain in the right side of my back. I'm nauseous too. Can I be seen today or should I "
        "just drink cranberry juice?",), ("fever_with_urinary_symptoms",)),
)
ROUTINE_CLINICAL = (
    S("mildly_abnormal_lab", "abnormal_result", (
        "I saw in the portal that {lab}. Is this something I should worry about or do anything "
        "about? I feel fine, no symptoms. Happy to discuss at my next visit.",
        "Quick question about my labs from last week: {lab}. Does that mean I need medication, "
        "or can I work on it with diet and exercise first? No rush on this.")),
    S("stable_knee_pain", "stable_symptom", (
        "My right knee has ached after runs for {weeks}. No swelling, no locking, and I can walk "
        "fine. It's about the same as when it started. Should I get it looked at or try "
        "something at home first?",)),
    S("stable_heartburn", "stable_symptom", (
        "I've had heartburn a few evenings a week for {weeks}. Tums help. No trouble swallowing, "
        "no black stools and no weight loss. Is there something better I can take, or should "
        "I make an appointment?",)),
    S("insomnia", "stable_symptom", (
        "I've been having trouble falling asleep for {weeks}. My mood is fine and nothing is "
        "worrying me, I just lie awake until 1 or 2. Is there anything you'd suggest I try "
        "before my physical?",)),
    S("allergies", "medication_change", (
        "My seasonal allergies are worse this spring and Zyrtec isn't helping much anymore. "
        "Sneezing, runny nose and itchy eyes, but no trouble breathing. Can I try a nasal spray "
        "or something else?",)),
    S("ibuprofen_question", "medication_question", (
        "Can I take ibuprofen for a sore back from gardening while I'm on lisinopril? The pain "
        "is mild and getting better. Just want to make sure it's safe with my blood pressure "
        "pill and my kidneys.",)),
    S("melatonin_question", "medication_question", (
        "Is it okay to take melatonin with my sertraline? A friend recommended it for sleep and "
        "I wanted to check with you first. I'm otherwise doing well on the sertraline, no "
        "problems.",
        "My {relative} takes donepezil for memory. Is it safe for {him} to take Benadryl at night "
        "for sleep? {He} is otherwise doing fine and we don't want to mix anything bad.")),
    S("lower_bp_med", "medication_change", (
        "My home blood pressure has been around {sbp} over 70 for a month and I feel fine, no "
        "dizziness. Could we talk about lowering my amlodipine dose, or should I keep taking the "
        "same amount?",)),
    S("statin_aches", "medication_change", (
        "Since starting atorvastatin in {month} I've had mild achy thighs after workouts. No "
        "weakness and my urine looks normal. It's tolerable, but should I switch to something "
        "else?",)),
)
ROUTINE_ADMIN = (
    S("scheduling", "scheduling", (
        "I need to reschedule my annual physical on {day} because of a work trip. Anything the "
        "following week works, mornings preferred. Please let me know what times you have "
        "open.",
        "{doc} wanted to see me back in three months for my blood pressure check. Can you book "
        "a follow-up for late {month}? Any weekday afternoon is fine with me.")),
    S("forms", "form", (
        "I dropped off my FMLA paperwork on {day} for my {relative}'s surgery next month. Do you "
        "know when it will be ready to pick up? My employer needs it by the end of the month.",
        "My son needs his school sports form signed. He had his physical with {doc} in {month} "
        "and everything was fine. Can I pick the form up at the front desk this week?")),
    S("records", "records", (
        "Please send my last colonoscopy report and recent lab results to my new "
        "cardiologist's office, fax {fax}. They need them before my first visit. Let me know "
        "once it's sent.",
        "Can I get a copy of my vaccination records? My new job needs proof of my hepatitis B "
        "and MMR shots before I start. Email or the portal is fine.")),
    S("billing", "billing", (
        "I got a bill for ${amount} from my visit on {day}. My insurance should cover preventive "
        "visits at 100%. Can someone check whether it was coded correctly before I pay it?",)),
    S("normal_result", "normal_result", (
        "I see my {test} results are posted and the note says they're normal. Can you confirm I "
        "don't need to do anything else and send me a printed copy for my records?",)),
    S("referral_status", "referral", (
        "Has my referral to {specialty} been sent? Their office says they haven't received it "
        "yet and I'd like to get on their schedule. Could you check and resend it if needed?",)),
)

CRITICAL_MEDS = ("insulin glargine", "Humalog insulin", "Keppra for my seizures",
                 "tacrolimus for my kidney transplant", "lamotrigine for my epilepsy")
ROUTINE_MEDS = ("atorvastatin", "levothyroxine", "lisinopril", "omeprazole", "metformin",
                "amlodipine", "sertraline")
RELATIVES = (("husband", "he", "his", "him"), ("wife", "she", "her", "her"),
             ("mother", "she", "her", "her"), ("father", "he", "his", "him"))
GREETINGS = ("", "", "Hi {doc},", "Hello,", "Good morning,", "Hi there,", "Dear {doc},",
             "Hi team,")
SIGNOFFS = ("", "Thanks,", "Thank you!", "Thanks, {name}", "- {name}", "Appreciate it.",
            "Best, {name}")
NAMES = ("Maria", "John", "Linda", "Ahmed", "Keisha", "Tom", "Mei", "Carlos", "Priya", "Dave")
ALARM = ("URGENT!!", "Please respond ASAP!", "This is really urgent for me.",
         "Need this right away please!!")
CALM = ("Sorry to bother you, it's probably nothing.", "I don't want to overreact.",
        "Not sure if this can wait until my appointment next month.")
RESOLVED = ("I had a heart attack in 2019 but have been doing great since.",
            "My chest pain last year turned out to be reflux.",
            "I had a small stroke years ago and recovered fully.",
            "I finished chemo two years ago and my scans have been clear.")
ADMIN_EXTRA = ("Also, can you update my pharmacy to the one on Main Street?",
               "Also I'll need to move my physical next month.")


def _slots(rng: random.Random) -> dict[str, str]:
    relative, he, his, him = rng.choice(RELATIVES)
    return {
        "doc": rng.choice(("Dr. Patel", "Dr. Nguyen", "Dr. Garcia", "Dr. Okafor", "Dr. Kim",
                           "Dr. Rossi", "Dr. Cohen")),
        "name": rng.choice(NAMES), "relative": relative, "he": he, "He": he.capitalize(),
        "his": his, "him": him,
        "since": rng.choice(("since this morning", "for about an hour", "since lunch",
                             "for the last two hours", "since I woke up")),
        "onset": rng.choice(("this morning", "about an hour ago", "at lunch", "two hours ago",
                             "when I woke up")),
        "days": str(rng.randint(2, 6)),
        "weeks": rng.choice(("two weeks", "three weeks", "about a month", "a few weeks")),
        "temp": rng.choice(("101.3", "102.1", "100.8", "38.6 C", "39.0 C", "38.3 C", "103")),
        "antibiotic": rng.choice(("amoxicillin", "Bactrim", "cephalexin", "Augmentin")),
        "bg": str(rng.randint(380, 560)), "lbs": str(rng.randint(4, 7)),
        "sbp": str(rng.randint(104, 114)),
        "lab": rng.choice((f"my LDL came back at {rng.randint(160, 185)}",
                           f"my A1c was {rng.choice(('5.8', '5.9', '6.1', '6.3'))}%",
                           f"my TSH was {rng.choice(('4.9', '5.6', '6.2'))} (range 0.4-4.5)",
                           f"my vitamin D was {rng.randint(18, 27)}, flagged low",
                           f"my ALT was {rng.randint(48, 70)}, flagged slightly high")),
        "month": rng.choice(("March", "April", "June", "August", "October", "January")),
        "day": rng.choice(("Monday", "Tuesday", "the 14th", "Friday", "the 3rd")),
        "fax": f"{rng.randint(200, 989)}-{rng.randint(200, 989)}-{rng.randint(1000, 9999)}",
        "amount": str(rng.randint(60, 480)),
        "test": rng.choice(("cholesterol", "thyroid", "blood count", "kidney function")),
        "specialty": rng.choice(("dermatology", "physical therapy", "GI", "podiatry")),
        "pharmacy": rng.choice(("the CVS on Main", "the Walgreens on 5th", "my usual pharmacy",
                                "the Costco pharmacy")),
    }


def _refill(rng: random.Random, s: dict[str, str], urgent: bool) -> tuple[str, dict]:
    """A refill request. Urgent only for a critical medicine running out within 24 hours."""
    critical = urgent or rng.random() < 0.35
    med = rng.choice(CRITICAL_MEDS if critical else ROUTINE_MEDS)
    why = rng.choice(("says the prescription has expired", "says there are no refills left",
                      "needs a new prescription"))
    if urgent:
        hours, when = rng.choice(((8, "I run out tonight"), (14, "my last dose is tomorrow "
                                  "morning"), (20, "I'll be out by tomorrow"), (4, "I have "
                                  "none left for this evening")))
    else:
        days = rng.randint(3, 14)
        hours, when = days * 24, rng.choice((f"I have about {days} days left",
                                             f"I have enough for {days} more days"))
    text = rng.choice((
        f"My pharmacy {why} on my {med}, and {when}. Same dose as always, no problems. Can "
        f"you send a new one to {s['pharmacy']}?",
        f"Refill request: {med}. The pharmacy {why} and {when}. Nothing has changed and I'm "
        f"doing well on it. Please send it to {s['pharmacy']}.",
    ))
    facts = {"medication": med, "critical_medication": critical, "hours_until_out": hours}
    return text, facts


def _paperwork(rng: random.Random, s: dict[str, str], urgent: bool) -> tuple[str, dict]:
    """Clearance already done; only the sending is left. Urgent when surgery is within 24 h."""
    hours, when = rng.choice(((14, "tomorrow at 7 am"), (18, "tomorrow morning"),
                              (20, "first thing tomorrow")) if urgent else (
        (240, "in ten days"), (336, "in two weeks"), (504, "in three weeks")))
    text = (f"My surgery is {when} and the surgeon's office says they never got my pre-op "
            f"clearance note and EKG from my visit with {s['doc']}. Could someone fax them "
            f"over{' today' if urgent else ''}?")
    return text, {"deadline_hours": hours}


def urgency_of(meta: dict) -> str:
    """The urgency rule on a message's facts (see the module docstring)."""
    critical_soon = meta["critical_medication"] and (meta["hours_until_out"] or 10**6) <= 24
    deadline_soon = meta["deadline_hours"] is not None and meta["deadline_hours"] <= 24
    return "urgent" if meta["red_flags"] or critical_soon or deadline_soon else "non-urgent"


def provider_of(meta: dict) -> str:
    """The provider rule: clinical judgement needs a physician."""
    return "physician" if meta["request"] in CLINICAL_REQUESTS else "medical assistant"


def write_message(rng: random.Random, cell: tuple[str, str]) -> tuple[str, dict]:
    urgent, physician = cell[0] == "urgent", cell[1] == "physician"
    s = _slots(rng)
    meta = {"scenario": "", "request": "", "red_flags": [], "emergency": False,
            "medication": None, "critical_medication": False, "hours_until_out": None,
            "deadline_hours": None, "distractors": []}
    if physician:
        sc = rng.choice(URGENT_CLINICAL if urgent else ROUTINE_CLINICAL)
    else:
        pool = ROUTINE_ADMIN + ("refill", "refill", "paperwork") if not urgent else (
            "refill", "refill", "paperwork")
        sc = rng.choice(pool)
    if isinstance(sc, Scenario):
        body = rng.choice(sc.templates).format(**s)
        meta.update(scenario=sc.key, request=sc.request, red_flags=list(sc.red_flags),
                    emergency=sc.emergency)
    else:
        body, facts = (_refill if sc == "refill" else _paperwork)(rng, s, urgent)
        meta.update(facts, scenario=sc, request="refill" if sc == "refill" else "records")
        if sc == "refill" and meta["critical_medication"] and not urgent:
            meta["distractors"].append("critical_med_not_due")
        if sc == "paperwork" and not urgent:
            meta["distractors"].append("deadline_not_soon")

    before, after = [], []
    if urgent and physician and rng.random() < 0.25:
        before.append(rng.choice(CALM))
        meta["distractors"].append("calm_tone_red_flag")
    if urgent and physician and rng.random() < 0.15:
        after.append(rng.choice(ADMIN_EXTRA))
        meta["distractors"].append("admin_request_in_urgent")
    if not urgent and rng.random() < 0.2:
        before.append(rng.choice(RESOLVED))
        meta["distractors"].append("resolved_history")
    if not urgent and not physician and rng.random() < 0.25:
        (before if rng.random() < 0.5 else after).append(rng.choice(ALARM))
        meta["distractors"].append("alarm_words_admin")
    parts = [rng.choice(GREETINGS).format(**s), *before, body, *after,
             rng.choice(SIGNOFFS).format(**s)]
    text = " ".join(p for p in parts if p)
    if rng.random() < 0.1:  # some patients type everything in lower case
        text = text.lower()
    return text, meta
