package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.kvbm4j.tools.ChatWorkload.Kind;
import io.kvbm4j.tools.ChatWorkload.Request;
import io.kvbm4j.tools.ChatWorkload.Shape;

class ChatWorkloadTest
{
    private static final Shape SMALL = Shape.defaults().withActiveConversations(12).withSystemPrompts(3);
    private static final int REQUESTS = 2_000;

    @Test
    void sameSeedGivesTheSameRequests()
    {
        final ChatWorkload a = new ChatWorkload(SMALL, 7);
        final ChatWorkload b = new ChatWorkload(SMALL, 7);
        final Request ra = new Request(SMALL);
        final Request rb = new Request(SMALL);
        for (int i = 0; i < REQUESTS; i++)
        {
            a.next(ra);
            b.next(rb);
            assertEquals(ra.kind(), rb.kind(), "kind of request " + i);
            assertEquals(ra.conversation(), rb.conversation(), "conversation of request " + i);
            assertArrayEquals(tokens(ra), tokens(rb), "tokens of request " + i);
        }
    }

    @Test
    void differentSeedsGiveDifferentTokens()
    {
        final Request ra = new Request(SMALL);
        final Request rb = new Request(SMALL);
        new ChatWorkload(SMALL, 1).next(ra);
        new ChatWorkload(SMALL, 2).next(rb);
        assertFalse(Arrays.equals(tokens(ra), tokens(rb)));
    }

    @Test
    void conversationsStartWithASharedSystemPrompt()
    {
        final ChatWorkload w = new ChatWorkload(SMALL, 42);
        final Request r = new Request(SMALL);
        final Map<Integer, Set<Long>> conversationsByPrompt = new HashMap<>();
        for (int i = 0; i < REQUESTS; i++)
        {
            w.next(r);
            if (r.kind() == Kind.ONE_OFF)
            {
                continue;
            }
            final int[] prompt = w.systemPrompt(r.systemPrompt());
            assertArrayEquals(prompt, Arrays.copyOf(r.tokens(), prompt.length), "request " + i + " starts with " +
                "system prompt " + r.systemPrompt());
            conversationsByPrompt.computeIfAbsent(r.systemPrompt(), k -> new HashSet<>()).add(r.conversation());
        }
        assertEquals(SMALL.systemPrompts(), conversationsByPrompt.size(), "every system prompt is used");
        for (final Map.Entry<Integer, Set<Long>> e : conversationsByPrompt.entrySet())
        {
            assertTrue(e.getValue().size() > 1, "system prompt " + e.getKey() + " is shared by conversations " +
                e.getValue());
        }
        assertTrue(w.systemPrompt(0).length >= 2 * 16, "a system prompt spans several 16-token blocks");
    }

    @Test
    void laterTurnsExtendTheEarlierTurnsOfTheirConversation()
    {
        final ChatWorkload w = new ChatWorkload(SMALL, 42);
        final Request r = new Request(SMALL);
        final Map<Long, int[]> previous = new HashMap<>();
        int followUps = 0;
        for (int i = 0; i < REQUESTS; i++)
        {
            w.next(r);
            if (r.kind() == Kind.ONE_OFF)
            {
                assertEquals(-1, r.conversation());
                continue;
            }
            final int[] tokens = tokens(r);
            final int[] before = previous.put(r.conversation(), tokens);
            if (r.kind() == Kind.FIRST_TURN)
            {
                assertEquals(0, r.turn());
                assertEquals(null, before, "conversation " + r.conversation() + " starts once");
                continue;
            }
            followUps++;
            assertNotNull(before, "a follow-up comes after its conversation's first turn");
            assertTrue(tokens.length >= before.length + SMALL.minReplyTokens() + SMALL.minUserTokens(),
                "turn " + r.turn() + " adds a reply and a user message");
            assertArrayEquals(before, Arrays.copyOf(tokens, before.length),
                "turn " + r.turn() + " of conversation " + r.conversation() + " extends turn " + (r.turn() - 1));
        }
        assertTrue(followUps > REQUESTS / 2, "most requests are follow-ups: " + followUps);
    }

    @Test
    void aConversationWaitsAtLeastTheTurnGapBetweenTurns()
    {
        final Shape shape = SMALL.withMinTurnGap(8);
        final ChatWorkload w = new ChatWorkload(shape, 3);
        final Request r = new Request(shape);
        final Map<Long, Long> lastRequest = new HashMap<>();
        for (int i = 0; i < REQUESTS; i++)
        {
            w.next(r);
            if (r.kind() != Kind.ONE_OFF)
            {
                final Long last = lastRequest.put(r.conversation(), r.id());
                assertTrue(last == null || r.id() - last > 8, "request " + r.id() + " follows " + last);
            }
        }
    }

    @Test
    void oneOffPromptsAreTheConfiguredShareOfRequests()
    {
        final ChatWorkload w = new ChatWorkload(SMALL.withOneOffPercent(20), 11);
        final Request r = new Request(SMALL);
        int oneOffs = 0;
        for (int i = 0; i < REQUESTS; i++)
        {
            w.next(r);
            if (r.kind() == Kind.ONE_OFF)
            {
                oneOffs++;
                assertTrue(r.length() >= SMALL.minOneOffTokens() && r.length() <= SMALL.maxOneOffTokens());
            }
        }
        assertTrue(oneOffs > REQUESTS * 15 / 100 && oneOffs < REQUESTS * 25 / 100, "one-offs: " + oneOffs);
    }

    @Test
    void requestsFitTheBufferSizedFromTheShape()
    {
        final Shape shape = Shape.defaults().withActiveConversations(4);
        final ChatWorkload w = new ChatWorkload(shape, 5);
        final Request r = new Request(shape);
        for (int i = 0; i < REQUESTS; i++)
        {
            w.next(r); // would throw ArrayIndexOutOfBoundsException past the longest request
            assertTrue(r.length() <= shape.maxRequestTokens());
        }
    }

    @Test
    void shapeRejectsAnEmptyRangeNamingTheField()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> Shape.defaults().withActiveConversations(0));
        assertTrue(ex.getMessage().contains("activeConversations"), ex.getMessage());
    }

    private static int[] tokens(final Request r)
    {
        return Arrays.copyOf(r.tokens(), r.length());
    }
}
