-- InstaInstru: no instructor has two overlapping CONFIRMED/COMPLETED/NO_SHOW bookings (what the GiST exclusion constraint guarantees).
SELECT a.id AS booking_a, b.id AS booking_b, a.instructor_id
FROM bookings a
JOIN bookings b ON a.instructor_id = b.instructor_id AND a.id < b.id AND a.booking_span && b.booking_span
WHERE a.status IN ('CONFIRMED', 'COMPLETED', 'NO_SHOW') AND b.status IN ('CONFIRMED', 'COMPLETED', 'NO_SHOW');
