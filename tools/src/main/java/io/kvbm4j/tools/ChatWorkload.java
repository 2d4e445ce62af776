package io.kvbm4j.tools;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A deterministic multi-turn chat workload: the token sequences an inference server would see.
 *
 * <p>Three kinds of request, drawn from one seeded {@link SplittableRandom}, so a seed gives the same
 * requests, in the same order, on every machine:
 * <ul>
 *   <li>{@link Kind#FIRST_TURN}: a new conversation's first request, one of a few shared system prompts
 *       followed by the user's message. Conversations that share a system prompt share its blocks.</li>
 *   <li>{@link Kind#FOLLOW_UP}: a later turn, the whole history so far (system prompt, every earlier
 *       user message and reply) plus the new user message; it extends the conversation's previous
 *       request.</li>
 *   <li>{@link Kind#ONE_OFF}: a prompt of fresh random tokens that shares nothing.</li>
 * </ul>
 * Up to {@link Shape#activeConversations()} conversations run at once; each request picks one of them at
 * random (or a one-off), skipping those that had a turn in the last {@link Shape#minTurnGap()} requests
 * (the reply to a turn is generated before the user sends the next), and a conversation that has taken
 * all its turns is replaced by a new one.
 *
 * <p>Token ids are uniform in {@code 0 .. VOCABULARY)}. Buffers are sized up front from the shape, so
 * {@link #next(Request)} allocates nothing. Not thread-safe: one owner.
 */
public final class ChatWorkload
{
    /** Token ids are drawn from a Llama 3 sized vocabulary. */
    public static final int VOCABULARY = 128_256;

    /** What a request is, for tests and reports. */
    public enum Kind
    {
        /** First request of a conversation: system prompt and first user message. */
        FIRST_TURN,
        /** A later turn: the conversation's history and a new user message. */
        FOLLOW_UP,
        /** A standalone prompt that shares no tokens with anything. */
        ONE_OFF
    }

    /**
     * Sizes of a workload; token counts are inclusive ranges.
     *
     * @param systemPrompts          distinct shared system prompts.
     * @param minSystemTokens        shortest system prompt.
     * @param maxSystemTokens        longest system prompt.
     * @param activeConversations    conversations in progress at once.
     * @param minTurns               fewest requests of a conversation.
     * @param maxTurns               most requests of a conversation.
     * @param minUserTokens          shortest user message.
     * @param maxUserTokens          longest user message.
     * @param minReplyTokens         shortest reply (joins the history for the next turn).
     * @param maxReplyTokens         longest reply.
     * @param minTurnGap             fewest requests between two turns of one conversation (its reply is
     *                               being generated meanwhile); capped at activeConversations - 1.
     * @param oneOffPercent          share of requests that are one-off prompts, 0..100.
     * @param minOneOffTokens        shortest one-off prompt.
     * @param maxOneOffTokens        longest one-off prompt.
     */
    public record Shape(
        int systemPrompts, int minSystemTokens, int maxSystemTokens,
        int activeConversations, int minTurns, int maxTurns,
        int minUserTokens, int maxUserTokens, int minReplyTokens, int maxReplyTokens, int minTurnGap,
        int oneOffPercent, int minOneOffTokens, int maxOneOffTokens)
    {
        /** Checks every range; the message names the field. */
        public Shape
        {
            requireRange("systemPrompts", systemPrompts, 1, 1 << 16);
            requireRange("minSystemTokens", minSystemTokens, 1, maxSystemTokens);
            requireRange("activeConversations", activeConversations, 1, 1 << 20);
            requireRange("minTurns", minTurns, 1, maxTurns);
            requireRange("minUserTokens", minUserTokens, 1, maxUserTokens);
            requireRange("minReplyTokens", minReplyTokens, 0, maxReplyTokens);
            requireRange("minTurnGap", minTurnGap, 0, 1 << 20);
            requireRange("oneOffPercent", oneOffPercent, 0, 100);
            requireRange("minOneOffTokens", minOneOffTokens, 1, maxOneOffTokens);
            final long longest = (long)maxSystemTokens + (long)maxTurns * (maxUserTokens + maxReplyTokens);
            if (longest > 1 << 24)
            {
                throw new IllegalArgumentException("a conversation could reach " + longest + " tokens; at most " +
                    (1 << 24));
            }
        }

        /**
         * The default chat mix: 6 system prompts of 128..512 tokens, 64 conversations at once of 2..10
         * turns, user messages of 16..160 tokens, replies of 32..320 tokens, at least 16 requests between
         * two turns of a conversation, and 10% one-off prompts of 64..1024 tokens.
         */
        public static Shape defaults()
        {
            return new Shape(6, 128, 512, 64, 2, 10, 16, 160, 32, 320, 16, 10, 64, 1024);
        }

        /** The same shape with another number of concurrent conversations. */
        public Shape withActiveConversations(final int n)
        {
            return new Shape(systemPrompts, minSystemTokens, maxSystemTokens, n, minTurns, maxTurns, minUserTokens,
                maxUserTokens, minReplyTokens, maxReplyTokens, minTurnGap, oneOffPercent, minOneOffTokens,
                maxOneOffTokens);
        }

        /** The same shape with another number of system prompts. */
        public Shape withSystemPrompts(final int n)
        {
            return new Shape(n, minSystemTokens, maxSystemTokens, activeConversations, minTurns, maxTurns,
                minUserTokens, maxUserTokens, minReplyTokens, maxReplyTokens, minTurnGap, oneOffPercent,
                minOneOffTokens, maxOneOffTokens);
        }

        /** The same shape with another share of one-off prompts. */
        public Shape withOneOffPercent(final int percent)
        {
            return new Shape(systemPrompts, minSystemTokens, maxSystemTokens, activeConversations, minTurns,
                maxTurns, minUserTokens, maxUserTokens, minReplyTokens, maxReplyTokens, minTurnGap, percent,
                minOneOffTokens, maxOneOffTokens);
        }

        /** The same shape with another least number of requests between two turns of a conversation. */
        public Shape withMinTurnGap(final int requests)
        {
            return new Shape(systemPrompts, minSystemTokens, maxSystemTokens, activeConversations, minTurns,
                maxTurns, minUserTokens, maxUserTokens, minReplyTokens, maxReplyTokens, requests, oneOffPercent,
                minOneOffTokens, maxOneOffTokens);
        }

        /** Longest history a conversation can reach (system prompt and every turn with its reply). */
        int maxConversationTokens()
        {
            return maxSystemTokens + maxTurns * (maxUserTokens + maxReplyTokens);
        }

        /** Longest request: a conversation's last prompt, or a one-off. */
        public int maxRequestTokens()
        {
            return Math.max(maxConversationTokens() - minReplyTokens, maxOneOffTokens);
        }

        private static void requireRange(final String name, final int value, final int min, final int max)
        {
            if (value < min || value > max)
            {
                throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", got " + value);
            }
        }
    }

    /**
     * One request, filled in by {@link #next(Request)}: a reusable flyweight whose token buffer is
     * overwritten by the next call.
     */
    public static final class Request
    {
        private final int[] tokens;
        private int length;
        private long id;
        private Kind kind;
        private long conversation;
        private int turn;
        private int systemPrompt;

        /** A request able to hold the longest request of {@code shape}. */
        public Request(final Shape shape)
        {
            tokens = new int[shape.maxRequestTokens()];
        }

        /** The token buffer; the request is {@code tokens()[0 .. length())}. */
        public int[] tokens()
        {
            return tokens;
        }

        public int length()
        {
            return length;
        }

        /** Request number, 0 for the first request of the workload. */
        public long id()
        {
            return id;
        }

        public Kind kind()
        {
            return kind;
        }

        /** Conversation number (in order of start), or -1 for a one-off prompt. */
        public long conversation()
        {
            return conversation;
        }

        /** Turn within the conversation, 0 for the first; -1 for a one-off prompt. */
        public int turn()
        {
            return turn;
        }

        /** Which system prompt the conversation uses, or -1 for a one-off prompt. */
        public int systemPrompt()
        {
            return systemPrompt;
        }
    }

    private final Shape shape;
    private final SplittableRandom random;
    private final int[][] systemPrompts;
    private final int[][] history;
    private final int[] historyLength;
    private final int[] turnsLeft;
    private final int[] turn;
    private final int[] systemPromptOf;
    private final long[] conversationOf;
    private final long[] lastTurn;
    private final int turnGap;
    private long nextConversation;
    private long nextRequest;

    public ChatWorkload(final Shape shape, final long seed)
    {
        this.shape = shape;
        this.random = new SplittableRandom(seed);
        this.systemPrompts = new int[shape.systemPrompts()][];
        for (int i = 0; i < systemPrompts.length; i++)
        {
            final int[] prompt = new int[uniform(shape.minSystemTokens(), shape.maxSystemTokens())];
            randomTokens(prompt, 0, prompt.length);
            systemPrompts[i] = prompt;
        }
        final int active = shape.activeConversations();
        this.history = new int[active][];
        this.historyLength = new int[active];
        this.turnsLeft = new int[active];
        this.turn = new int[active];
        this.systemPromptOf = new int[active];
        this.conversationOf = new long[active];
        this.lastTurn = new long[active];
        Arrays.fill(lastTurn, Long.MIN_VALUE / 2);
        this.turnGap = Math.min(shape.minTurnGap(), active - 1);
    }

    public Shape shape()
    {
        return shape;
    }

    /** The tokens of system prompt {@code i} (a copy). */
    public int[] systemPrompt(final int i)
    {
        return systemPrompts[i].clone();
    }

    /** Writes the next request into {@code out}. */
    public void next(final Request out)
    {
        out.id = nextRequest++;
        if (random.nextInt(100) < shape.oneOffPercent())
        {
            out.length = uniform(shape.minOneOffTokens(), shape.maxOneOffTokens());
            randomTokens(out.tokens, 0, out.length);
            out.kind = Kind.ONE_OFF;
            out.conversation = -1;
            out.turn = -1;
            out.systemPrompt = -1;
            return;
        }
        final int c = pickConversation(out.id);
        if (turnsLeft[c] == 0)
        {
            start(c);
        }
        int[] h = history[c];
        int n = historyLength[c];
        final int user = uniform(shape.minUserTokens(), shape.maxUserTokens());
        randomTokens(h, n, user);
        n += user;
        System.arraycopy(h, 0, out.tokens, 0, n);
        out.length = n;
        out.kind = turn[c] == 0 ? Kind.FIRST_TURN : Kind.FOLLOW_UP;
        out.conversation = conversationOf[c];
        out.turn = turn[c];
        out.systemPrompt = systemPromptOf[c];

        final int reply = uniform(shape.minReplyTokens(), shape.maxReplyTokens());
        randomTokens(h, n, reply);
        historyLength[c] = n + reply;
        turn[c]++;
        turnsLeft[c]--;
        lastTurn[c] = out.id;
    }

    /** A random conversation whose last turn is more than the gap ago (one always is: gap < active). */
    private int pickConversation(final long requestId)
    {
        final int active = shape.activeConversations();
        int c = random.nextInt(active);
        while (requestId - lastTurn[c] <= turnGap)
        {
            c = c + 1 == active ? 0 : c + 1;
        }
        return c;
    }

    /** Starts a new conversation in slot {@code c}: a system prompt, a number of turns. */
    private void start(final int c)
    {
        if (history[c] == null)
        {
            history[c] = new int[shape.maxConversationTokens()];
        }
        final int s = random.nextInt(systemPrompts.length);
        final int[] prompt = systemPrompts[s];
        System.arraycopy(prompt, 0, history[c], 0, prompt.length);
        historyLength[c] = prompt.length;
        systemPromptOf[c] = s;
        turnsLeft[c] = uniform(shape.minTurns(), shape.maxTurns());
        turn[c] = 0;
        conversationOf[c] = nextConversation++;
    }

    private int uniform(final int min, final int max)
    {
        return min + random.nextInt(max - min + 1);
    }

    private void randomTokens(final int[] into, final int from, final int count)
    {
        for (int i = from, end = from + count; i < end; i++)
        {
            into[i] = random.nextInt(VOCABULARY);
        }
    }
}
