// MMLUCategories.swift: the harness's four MMLU category groups (tasks/mmlu/default/_mmlu_*.yaml; each
// subject YAML's `tag: mmlu_<category>_tasks`), each the size-weighted mean of its subjects, as the
// `mmlu` group is of all of them.

public enum MMLUCategories {
    /// Category group names in the harness's results order, with their aliases.
    public static let groups: [(name: String, alias: String)] = [
        ("mmlu_humanities", "humanities"), ("mmlu_other", "other"),
        ("mmlu_social_sciences", "social sciences"), ("mmlu_stem", "stem"),
    ]

    static let members: [String: [String]] = [
        "mmlu_stem": ["abstract_algebra", "anatomy", "astronomy", "college_biology", "college_chemistry", "college_computer_science",
                      "college_mathematics", "college_physics", "computer_security", "conceptual_physics", "electrical_engineering",
                      "elementary_mathematics", "high_school_biology", "high_school_chemistry", "high_school_computer_science",
                      "high_school_mathematics", "high_school_physics", "high_school_statistics", "machine_learning"],
        "mmlu_humanities": ["formal_logic", "high_school_european_history", "high_school_us_history", "high_school_world_history",
                            "international_law", "jurisprudence", "logical_fallacies", "moral_disputes", "moral_scenarios", "philosophy",
                            "prehistory", "professional_law", "world_religions"],
        "mmlu_social_sciences": ["econometrics", "high_school_geography", "high_school_government_and_politics", "high_school_macroeconomics",
                                 "high_school_microeconomics", "high_school_psychology", "human_sexuality", "professional_psychology",
                                 "public_relations", "security_studies", "sociology", "us_foreign_policy"],
        "mmlu_other": ["business_ethics", "clinical_knowledge", "college_medicine", "global_facts", "human_aging", "management", "marketing",
                       "medical_genetics", "miscellaneous", "nutrition", "professional_accounting", "professional_medicine", "virology"],
    ]

    /// subject → category group.
    public static let category: [String: String] = {
        var m: [String: String] = [:]
        for (g, subjects) in members { for s in subjects { m[s] = g } }
        return m
    }()
}
