/**
 * @module templates/builtins
 * The built-in instruction templates (README "Templates, metadata and fusion"): the four instruction kinds that suit
 * Qwen3-Reranker (domain expertise, recency, audience and style, multi-objective) and the scenario
 * templates (enterprise knowledge base, e-commerce buyer, source authority: generic, legal, medical).
 *
 * Wording: short, imperative, one task per sentence, shaped like the model's own default
 * instruction ("Given a web search query, retrieve relevant passages that answer the query",
 * Qwen3-Reranker model card). English is primary: the Qwen3-Embedding/Reranker model cards advise
 * writing instructions in English even for multilingual data, as most training instructions were
 * English. The `-zh` variants serve operators who want Chinese wording; measure before switching.
 *
 * Instructions about dates, sources or fields only work when the model can see them: pair those
 * templates with metadata folding (documents/fold.ts), which writes "[2024-03] [Source: …] …" into
 * the document text.
 */
import { templateDefinitionSchema, type Template, type TemplateDefinition } from './template'

const AUTHORITY_NOTE =
  'Fold documents with their source so the model sees it ("[Source: …]"); for a hard guarantee add fusion.boosts [{ "source_order": [...] }] with the same order.'

export const BUILTIN_TEMPLATE_DEFINITIONS: readonly TemplateDefinition[] = [
  // ── The four instruction kinds ──
  {
    id: 'domain-expert',
    version: 1,
    description: 'Judge relevance with the standards of a senior expert in a field (finance, law, medicine, engineering…).',
    language: 'en',
    text:
      'You are a senior {role}. Given the query, judge whether the document answers it as such an expert would: ' +
      'prefer accurate, specific, professionally sound content; treat vague, superficial or incorrect content as irrelevant.',
    variables: {
      role: { type: 'string', description: 'The expert role, e.g. "financial analyst".', default: 'financial analyst', maxLength: 80 },
    },
    example: {
      template_vars: { role: 'financial analyst' },
      query: 'How do rising interest rates affect bank net interest margins?',
    },
  },
  {
    id: 'domain-expert-zh',
    version: 1,
    description: '以资深专家的标准判断相关性（中文措辞）。',
    language: 'zh',
    text: '你是一名资深{role}。请以该领域专家的标准判断文档是否回答了查询：优先准确、具体、专业的内容；空泛、表面或错误的内容视为不相关。',
    variables: {
      role: { type: 'string', description: '专家角色，例如“金融分析师”。', default: '金融分析师', maxLength: 40 },
    },
    example: { template_vars: { role: '金融分析师' }, query: '加息如何影响银行的净息差？' },
  },
  {
    id: 'recency',
    version: 1,
    description: 'Prefer documents published from a given year on and demote older ones.',
    language: 'en',
    text:
      'Given the query, retrieve relevant documents. Prefer documents published in {year} or later ' +
      '(the date is shown in brackets at the start of a document); demote older documents unless the query asks about the past.',
    variables: {
      year: { type: 'integer', description: 'The earliest preferred publication year.', default: 2024, min: 1900, max: 2100 },
    },
    example: {
      template_vars: { year: 2024 },
      query: 'best practices for running LLM inference on Kubernetes',
      note: 'Needs date folding to show "[2024-03] "; add time_decay for a score-level recency signal that does not depend on the model.',
    },
  },
  {
    id: 'recency-zh',
    version: 1,
    description: '优先某年及以后发布的文档，降低较早文档的排名（中文措辞）。',
    language: 'zh',
    text: '根据查询检索相关文档。优先{year}年及以后发布的文档（发布日期以方括号标在文档开头）；除非查询涉及过去，否则降低较早文档的排名。',
    variables: {
      year: { type: 'integer', description: '最早的优先发布年份。', default: 2024, min: 1900, max: 2100 },
    },
    example: { template_vars: { year: 2024 }, query: '个人所得税专项附加扣除标准', note: '需开启日期折叠（"[2024-03] "）。' },
  },
  {
    id: 'audience-style',
    version: 1,
    description: 'Prefer documents that explain the answer for a given audience, in plain language with everyday examples.',
    language: 'en',
    text:
      'Given the query, retrieve documents that explain the answer for readers {audience}: ' +
      'prefer plain language without jargon and concrete everyday examples; demote technical or specialist texts.',
    variables: {
      audience: { type: 'string', description: 'Who reads the answer, e.g. "over 60" or "new to investing".', default: 'over 60', maxLength: 80 },
    },
    example: { template_vars: { audience: 'over 60' }, query: 'what is a mobile payment QR code scam' },
  },
  {
    id: 'audience-style-zh',
    version: 1,
    description: '优先面向特定读者、通俗易懂、带日常例子的文档（中文措辞）。',
    language: 'zh',
    text: '根据查询检索能向{audience}的读者讲清答案的文档：优先通俗、不用术语、带有日常生活例子的内容；降低专业性强、术语密集的文档的排名。',
    variables: {
      audience: { type: 'string', description: '读者群体，例如“60岁以上”。', default: '60岁以上', maxLength: 40 },
    },
    example: { template_vars: { audience: '60岁以上' }, query: '什么是扫码支付诈骗' },
  },
  {
    id: 'multi-objective',
    version: 1,
    description: 'Rank products by weighing, in order: match to the query, promotion words, stock above a threshold.',
    language: 'en',
    text:
      "Given the shopper's query, rank products by weighing, in this order: 1) match to the query; " +
      '2) promotion words such as "{promo_words}"; 3) stock above {min_stock} units.',
    variables: {
      promo_words: {
        type: 'string[]',
        description: 'Promotion words to favour, in the order given.',
        default: ['sale', 'discount', 'limited-time offer'],
        maxItems: 20,
        maxLength: 40,
        // With the quotes around {promo_words} in the text this renders "sale", "discount", ….
        separator: '", "',
      },
      min_stock: { type: 'integer', description: 'Stock level (units) above which a product is preferred.', default: 10, min: 0, max: 1_000_000_000 },
    },
    example: {
      template_vars: { promo_words: ['sale', 'free shipping'], min_stock: 50 },
      query: 'wireless earbuds',
      note: 'Fold `fields` (e.g. stock) so the model sees "[stock: 127]".',
    },
  },
  {
    id: 'multi-objective-zh',
    version: 1,
    description: '依次权衡：与查询的匹配度、促销词、库存是否高于阈值（中文措辞）。',
    language: 'zh',
    text: '根据顾客的查询为商品排序，依次权衡：1) 与查询的匹配度；2) 促销词，如“{promo_words}”；3) 库存高于{min_stock}件。',
    variables: {
      promo_words: {
        type: 'string[]',
        description: '优先的促销词。',
        default: ['促销', '折扣', '限时优惠'],
        maxItems: 20,
        maxLength: 20,
        // With the quotes around {promo_words} in the text this renders “促销”、“折扣”…
        separator: '”、“',
      },
      min_stock: { type: 'integer', description: '库存阈值（件）。', default: 10, min: 0, max: 1_000_000_000 },
    },
    example: {
      template_vars: { promo_words: ['满减', '包邮'], min_stock: 50 },
      query: '无线蓝牙耳机',
      note: '开启字段折叠（language: "zh"，field_labels: { stock: { label: "库存", unit: "件" } }）以显示“【库存: 127件】”。',
    },
  },
  // ── Scenario templates ──
  {
    id: 'enterprise-kb',
    version: 1,
    description: 'Enterprise knowledge base / RAG: answer employee questions from internal documents, with a glossary of in-house terms.',
    language: 'en',
    text:
      "Given an employee's question, retrieve passages from the {kb_name} knowledge base that answer it. " +
      'Glossary: {glossary}. Prefer current official documentation over drafts, chat logs and outdated versions.',
    variables: {
      kb_name: { type: 'string', description: 'The knowledge base, e.g. "internal" or "Acme HR".', default: 'internal', maxLength: 60 },
      glossary: {
        type: 'string[]',
        description: 'In-house terms the model should know, one per item, rendered in the given order joined by "; ". The rendered instruction must fit MAX_INSTRUCTION_CHARS (2,000 by default).',
        default: ['"CRM" means Salesforce', '"OKR" means objectives and key results'],
        maxItems: 50,
        maxLength: 200,
        separator: '; ',
      },
    },
    example: {
      template_vars: { kb_name: 'Acme', glossary: ['"CRM" means Salesforce', '"PTO" means paid time off'] },
      query: 'how do I export my CRM contacts before my PTO',
    },
  },
  {
    id: 'enterprise-kb-zh',
    version: 1,
    description: '企业知识库 / RAG：根据员工问题检索内部文档，附内部术语表（中文措辞）。',
    language: 'zh',
    text: '根据员工的问题，从{kb_name}知识库中检索能回答该问题的段落。术语表：{glossary}。优先最新的正式文档，而非草稿、聊天记录或过期版本。',
    variables: {
      kb_name: { type: 'string', description: '知识库名称，例如“公司内部”。', default: '公司内部', maxLength: 40 },
      glossary: {
        type: 'string[]',
        description: '内部术语，每项一条，按给定顺序以“；”连接。渲染后的指令不得超过 MAX_INSTRUCTION_CHARS（默认 2,000 字符）。',
        default: ['“CRM”指 Salesforce', '“OKR”指目标与关键成果'],
        maxItems: 50,
        maxLength: 200,
        separator: '；',
      },
    },
    example: { template_vars: { glossary: ['“CRM”指 Salesforce', '“年假”指带薪年休假'] }, query: '休年假前如何导出CRM客户' },
  },
  {
    id: 'ecommerce-buyer',
    version: 1,
    description: 'E-commerce: rank listings as an experienced buyer would (style, fabric, real photos, sales).',
    language: 'en',
    text:
      "You are an experienced {category} buyer. Given the shopper's query, rank product listings by how well they match " +
      'the requested style and fabric; prefer listings with clear real photos and strong sales; demote vague or mismatched listings.',
    variables: {
      category: { type: 'string', description: 'The product category, e.g. "fashion" or "home textiles".', default: 'fashion', maxLength: 60 },
    },
    example: {
      template_vars: { category: 'fashion' },
      query: 'linen summer dress, loose fit',
      note: 'Default boosts: is_new = true +0.1 (new-arrival), sales ≥ 1000 +0.05 (high-sales); override with fusion.boosts.',
    },
    boosts: [
      { name: 'new-arrival', when: { field: 'is_new', equals: true }, add: 0.1 },
      { name: 'high-sales', when: { field: 'sales', gte: 1000 }, add: 0.05 },
    ],
  },
  {
    id: 'ecommerce-buyer-zh',
    version: 1,
    description: '电商：以资深买手的眼光为商品排序（款式、面料、实拍图、销量）（中文措辞）。',
    language: 'zh',
    text: '你是一名资深{category}买手。根据顾客的查询为商品排序：款式和面料越符合要求越靠前；优先有清晰实拍图、销量好的商品；描述含糊或不符的商品靠后。',
    variables: {
      category: { type: 'string', description: '品类，例如“女装”。', default: '服装', maxLength: 30 },
    },
    example: { template_vars: { category: '女装' }, query: '亚麻连衣裙 宽松 夏季' },
    boosts: [
      { name: 'new-arrival', when: { field: 'is_new', equals: true }, add: 0.1 },
      { name: 'high-sales', when: { field: 'sales', gte: 1000 }, add: 0.05 },
    ],
  },
  {
    id: 'source-authority',
    version: 1,
    description: 'Rank relevant documents by an ordered list of source types, most authoritative first.',
    language: 'en',
    text:
      'Given the query, retrieve relevant documents and rank them by source authority: {order}. ' +
      'Between equally relevant documents the more authoritative source ranks higher; never rank an irrelevant document up for its source.',
    variables: {
      order: {
        type: 'string[]',
        description: 'Source types, most authoritative first, rendered joined by " > ".',
        default: ['official publications', 'peer-reviewed research', 'established news media', 'blogs and forums'],
        maxItems: 20,
        maxLength: 80,
        separator: ' > ',
      },
    },
    example: { template_vars: { order: ['official publications', 'news', 'blogs'] }, query: 'new EU battery regulation deadlines', note: AUTHORITY_NOTE },
  },
  {
    id: 'source-authority-zh',
    version: 1,
    description: '按来源类型的权威性排序相关文档，最权威者在前（中文措辞）。',
    language: 'zh',
    text: '根据查询检索相关文档，并按来源权威性排序：{order}。同等相关时，来源更权威的文档排在前面；不要因为来源权威而提升不相关的文档。',
    variables: {
      order: {
        type: 'string[]',
        description: '来源类型，最权威者在前，以“ > ”连接。',
        default: ['官方发布', '同行评审研究', '主流新闻媒体', '博客与论坛'],
        maxItems: 20,
        maxLength: 40,
        separator: ' > ',
      },
    },
    example: {
      template_vars: { order: ['官方发布', '新闻', '博客'] },
      query: '欧盟电池新规的截止日期',
      note: '开启来源折叠（language: "zh"）以显示“[来源: …]”；需要硬性保证时加 fusion.boosts 的 source_order。',
    },
  },
  {
    id: 'legal-authority',
    version: 1,
    description: 'Legal research: rank passages by legal authority (statute > supreme court > … > forums).',
    language: 'en',
    text:
      'You are a legal researcher. Given the legal question, retrieve passages that address it and rank them by source authority: {order}. ' +
      'Prefer binding, current law over commentary; never rank an irrelevant passage up for its source.',
    variables: {
      order: {
        type: 'string[]',
        description: 'Source types, most authoritative first, rendered joined by " > ".',
        default: [
          'statutes and regulations',
          'supreme court decisions',
          'appellate court decisions',
          'official guidance',
          'legal commentary',
          'blogs and forums',
        ],
        maxItems: 20,
        maxLength: 80,
        separator: ' > ',
      },
    },
    example: { template_vars: {}, query: 'is a non-compete clause enforceable after termination', note: AUTHORITY_NOTE },
  },
  {
    id: 'legal-authority-zh',
    version: 1,
    description: '法律检索：按来源权威性排序（法律法规 > 司法解释 > 最高人民法院公报 > …）（中文措辞）。',
    language: 'zh',
    text: '你是一名法律研究人员。根据法律问题检索相关段落，并按来源权威性排序：{order}。优先现行有效、具有约束力的规定，而非评论；不要因为来源权威而提升不相关的段落。',
    variables: {
      order: {
        type: 'string[]',
        description: '来源类型，最权威者在前，以“ > ”连接。',
        default: ['法律法规', '司法解释', '最高人民法院公报', '高级人民法院判例', '律师评论', '论坛与博客'],
        maxItems: 20,
        maxLength: 40,
        separator: ' > ',
      },
    },
    example: {
      template_vars: {},
      query: '劳动合同解除后竞业限制条款是否有效',
      note: '开启来源折叠（language: "zh"）以显示“[来源: 最高人民法院公报]”；需要硬性保证时加 fusion.boosts 的 source_order。',
    },
  },
  {
    id: 'medical-authority',
    version: 1,
    description: 'Medical questions: rank passages by evidence level (guidelines > systematic reviews > … > forums).',
    language: 'en',
    text:
      'You are a clinical librarian. Given the medical question, retrieve passages that answer it and rank them by source authority: {order}. ' +
      'Prefer current, evidence-based guidance; never rank an irrelevant passage up for its source.',
    variables: {
      order: {
        type: 'string[]',
        description: 'Source types, most authoritative first, rendered joined by " > ".',
        default: [
          'clinical practice guidelines',
          'systematic reviews',
          'randomised controlled trials',
          'observational studies',
          'expert opinion',
          'health websites and forums',
        ],
        maxItems: 20,
        maxLength: 80,
        separator: ' > ',
      },
    },
    example: { template_vars: {}, query: 'first-line treatment for type 2 diabetes in older adults', note: AUTHORITY_NOTE },
  },
  {
    id: 'medical-authority-zh',
    version: 1,
    description: '医学问题：按证据等级排序（临床诊疗指南 > 系统综述 > … > 论坛）（中文措辞）。',
    language: 'zh',
    text: '你是一名临床医学信息专家。根据医学问题检索能回答该问题的段落，并按来源权威性排序：{order}。优先最新、循证的指南；不要因为来源权威而提升不相关的段落。',
    variables: {
      order: {
        type: 'string[]',
        description: '来源类型，最权威者在前，以“ > ”连接。',
        default: ['临床诊疗指南', '系统综述', '随机对照试验', '观察性研究', '专家意见', '健康网站与论坛'],
        maxItems: 20,
        maxLength: 40,
        separator: ' > ',
      },
    },
    example: { template_vars: {}, query: '老年2型糖尿病的一线治疗方案' },
  },
]

/**
 * The validated built-ins. Parsed at module load: a broken built-in fails the first import (and the
 * unit tests), never a request.
 */
export const BUILTIN_TEMPLATES: readonly Template[] = Object.freeze(
  BUILTIN_TEMPLATE_DEFINITIONS.map((d) => templateDefinitionSchema.parse(d)),
)
