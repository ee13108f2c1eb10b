// AnnotatePage.swift: the annotation page served at /annotate (see AnnotationRoutes.swift).
enum AnnotatePage {
    static let html = #"""
<!doctype html><html><head><meta charset="utf-8"><title>Spindle annotation</title></head><body></body></html>
"""#
}
