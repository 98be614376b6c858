/**
 * @module stopwords
 * Two word lists with two different jobs.
 *
 * `ENGLISH_STOPWORDS` is removed from every text before indexing: Lucene's
 * `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (apache/lucene, `analysis/common/.../en/EnglishAnalyzer.java`),
 * the 33 words Anserini's default analyzer drops, so document lengths match the BM25 first stage
 * our scores are compared with.
 *
 * `LOW_INFORMATION_WORDS` are kept but down-weighted in the *query* (see term-prior.ts). BM25's
 * IDF normally does that from collection statistics, which an edge scorer does not have; over the
 * candidates alone, "what" or "how" look *rarer* than the topic words every candidate was retrieved
 * for. The list is the Snowball English stop list (M. Porter, snowballstem.org `english/stop.txt`,
 * BSD; with NLTK's additions "can", "will", "just", "now") — pronouns, auxiliaries, prepositions,
 * question words — plus the template words of web questions ("definition of", "types of", "causes
 * of", "difference between", "meaning of", "used for"), which carry the question's form, not its
 * topic; and the commonest Chinese and Japanese function words and question words (particles such
 * as 的/是/了 and の/は/を, "where"/"what"/"how"), which play the same part in those languages.
 */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it',
  'no', 'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they',
  'this', 'to', 'was', 'will', 'with',
])

const SNOWBALL_ENGLISH = `
  i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
  her hers herself it its itself they them their theirs themselves what which who whom this that
  these those am is are was were be been being have has had having do does did doing would should
  could ought i'm you're he's she's it's we're they're i've you've we've they've i'd you'd he'd
  she'd we'd they'd i'll you'll he'll she'll we'll they'll isn't aren't wasn't weren't hasn't
  haven't hadn't doesn't don't didn't won't wouldn't shan't shouldn't can't cannot couldn't
  mustn't let's that's who's what's here's there's when's where's why's how's a an the and but if
  or because as until while of at by for with about against between into through during before
  after above below to from up down in out on off over under again further then once here there
  when where why how all any both each few more most other some such no nor not only own same so
  than too very can will just now`

const WEB_QUESTION_TEMPLATE = `
  define definition meaning mean means called example examples type types kind kinds cause causes
  difference use used uses`

const CHINESE_FUNCTION = `
  的 了 是 在 和 与 及 或 也 就 都 而 之 其 这 那 这个 那个 一个 有 吗 呢 吧 啊 哪 哪里 哪儿 什么 怎么
  怎样 如何 为什么 谁 多少`

const JAPANESE_FUNCTION = `
  の に は を が で と も へ や か から まで より です ます だ た て した する ある いる こと これ それ
  どこ なに 何 どう なぜ`

export const LOW_INFORMATION_WORDS: ReadonlySet<string> = new Set(
  `${SNOWBALL_ENGLISH} ${WEB_QUESTION_TEMPLATE} ${CHINESE_FUNCTION} ${JAPANESE_FUNCTION}`
    .split(/\s+/)
    .filter((w) => w !== ''),
)
