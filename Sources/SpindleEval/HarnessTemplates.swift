// HarnessTemplates.swift: each task's YAML fields as lm_eval 0.4.13 ships them (for the results'
// `configs`, and quoted in docs/EVAL.md). The Swift renderers in HarnessTasks.swift implement them.

public struct HarnessTemplate: Sendable {
    public let datasetPath: String, datasetName: String?
    public let docToText: String, docToTarget: String, docToChoice: String
}

extension HarnessTask {
    public var template: HarnessTemplate {
        switch name {
        case "arc_easy", "arc_challenge":
            return .init(datasetPath: "allenai/ai2_arc", datasetName: name == "arc_easy" ? "ARC-Easy" : "ARC-Challenge",
                         docToText: "Question: {{question}}\nAnswer:", docToTarget: "{{choices.label.index(answerKey)}}", docToChoice: "{{choices.text}}")
        case "hellaswag":
            return .init(datasetPath: "Rowan/hellaswag", datasetName: nil, docToText: "{{query}}", docToTarget: "{{label}}", docToChoice: "choices")
        case "piqa":
            return .init(datasetPath: "baber/piqa", datasetName: nil, docToText: "Question: {{goal}}\nAnswer:", docToTarget: "label", docToChoice: "{{[sol1, sol2]}}")
        case "boolq":
            return .init(datasetPath: "aps/super_glue", datasetName: "boolq", docToText: "{{passage}}\nQuestion: {{question}}?\nAnswer:",
                         docToTarget: "label", docToChoice: "['no', 'yes']")
        case "mmlu":
            return .init(datasetPath: "cais/mmlu", datasetName: nil,
                         docToText: "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:",
                         docToTarget: "answer", docToChoice: "['A', 'B', 'C', 'D']")
        case "openbookqa":
            return .init(datasetPath: "allenai/openbookqa", datasetName: "main", docToText: "question_stem",
                         docToTarget: "{{choices.label.index(answerKey.lstrip())}}", docToChoice: "{{choices.text}}")
        case "sciq":
            return .init(datasetPath: "allenai/sciq", datasetName: nil, docToText: "{{support.lstrip()}}\nQuestion: {{question}}\nAnswer:",
                         docToTarget: "3", docToChoice: "{{[distractor1, distractor2, distractor3, correct_answer]}}")
        case "copa":
            return .init(datasetPath: "aps/super_glue", datasetName: "copa", docToText: "utils.doc_to_text", docToTarget: "utils.doc_to_target", docToChoice: "utils.doc_to_choice")
        case "social_iqa":
            return .init(datasetPath: "lighteval/siqa", datasetName: nil, docToText: "Q: {{context}} {{question}}\nA:",
                         docToTarget: "{{ (label|int) - 1 }}", docToChoice: "{{[answerA, answerB, answerC]}}")
        case "winogrande":
            return .init(datasetPath: "allenai/winogrande", datasetName: "winogrande_xl", docToText: "preprocess_winogrande.doc_to_text",
                         docToTarget: "preprocess_winogrande.doc_to_target", docToChoice: "preprocess_winogrande.doc_to_choice")
        default:
            return .init(datasetPath: "tau/commonsense_qa", datasetName: nil,
                         docToText: "Question: {{ question.strip() }}\nA. {{choices['text'][0]}}\nB. {{choices['text'][1]}}\nC. {{choices['text'][2]}}\nD. {{choices['text'][3]}}\nE. {{choices['text'][4]}}\nAnswer:",
                         docToTarget: "answerKey", docToChoice: "['A', 'B', 'C', 'D', 'E']")
        }
    }
}
