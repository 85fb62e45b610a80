/**
 * The languages of statements and feedback: English (the default) and French (the course's).
 * A request chooses with Accept-Language (RFC 9110 §12.5.4); src/http negotiates it.
 */
import Negotiator from 'negotiator'

export const LANGUAGES = ['en', 'fr'] as const
export type Language = typeof LANGUAGES[number]
export const DEFAULT_LANGUAGE: Language = 'en'
/** One text per language. */
export type Localized<T> = Record<Language, T>

export const isLanguage = (value: unknown): value is Language => (LANGUAGES as readonly unknown[]).includes(value)

/**
 * The language an Accept-Language header asks for (RFC 9110 §12.5.4, by `negotiator`:
 * `fr-CA,fr;q=0.9` asks for French), English when it names none of ours. Both doors call it.
 */
export function languageFor (acceptLanguage: string | undefined): Language {
  const chosen = new Negotiator({ headers: { 'accept-language': acceptLanguage } }).language([...LANGUAGES])
  return isLanguage(chosen) ? chosen : DEFAULT_LANGUAGE
}

/**
 * French punctuation as the Office québécois de la langue française sets it (Banque de
 * dépannage linguistique, on spacing around punctuation): a no-break space before the colon
 * and inside « », so that a line never starts with ":" or "»"; no space before ? ! ; in
 * Québec usage, so none is added there. The texts are written with plain spaces.
 * @example frenchSpacing('Correction : exacte') // 'Correction\u00a0: exacte'
 */
export const frenchSpacing = (text: string): string => text.replace(/ :/g, '\u00a0:').replace(/« /g, '«\u00a0').replace(/ »/g, '\u00a0»')
