# A minimal JSON writer for the cross-check scripts (no package needed).
# Numbers are printed with 17 significant digits, so nothing is lost on the
# way to Python; NA, NaN and Inf become null.
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    body <- vapply(x, to_json, "")
    if (is.null(names(x))) return(paste0("[", paste(body, collapse = ","), "]"))
    return(paste0("{", paste0(quote_json(names(x)), ":", body, collapse = ","), "}"))
  }
  if (is.factor(x)) x <- as.character(x)
  one <- function(v) {
    if (is.character(v)) return(if (is.na(v)) "null" else quote_json(v))
    if (is.logical(v)) return(if (is.na(v)) "null" else if (v) "true" else "false")
    if (!is.finite(v)) return("null")
    sprintf("%.17g", v)
  }
  values <- vapply(seq_along(x), function(i) one(x[[i]]), "")
  if (!is.null(names(x))) return(paste0("{", paste0(quote_json(names(x)), ":", values, collapse = ","), "}"))
  if (length(x) == 1) return(values)
  paste0("[", paste(values, collapse = ","), "]")
}

quote_json <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  paste0("\"", s, "\"")
}

# Stop early, as JSON, when a package is missing (the test then skips).
require_packages <- function(packages) {
  missing <- packages[!vapply(packages, requireNamespace, logical(1), quietly = TRUE)]
  if (length(missing)) {
    cat(to_json(list(missing = as.list(missing))), "\n")
    quit(save = "no", status = 0)
  }
}
